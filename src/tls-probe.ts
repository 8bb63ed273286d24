// One TLS handshake with a server, to learn why a client library failed to connect when it will
// not say (grpc-js reports a certificate it does not trust as "Failed to connect before the
// deadline", like a server that is down). Used only after a failed connection at startup.
//
// Neighbours: src/temporal/refusal.ts.

import { connect, type ConnectionOptions } from 'node:tls';

export type ProbeResult =
  { handshake: 'ok' } | { handshake: 'failed'; code: string; message: string } | { handshake: 'none' };

export interface ProbeOptions {
  /**
   * After the handshake, wait this long for an alert before calling it `ok`. With TLS 1.3 a server
   * that refuses the client's certificate says so only after the handshake has completed.
   */
  alertWithinMs?: number;
}

/** `none`: no TCP connection or no answer within 2 s; `failed`: TLS said why; `ok`: it completed. */
export function probeTls(
  address: string,
  options: ConnectionOptions = {},
  probe: ProbeOptions = {},
): Promise<ProbeResult> {
  const [host = '', port = ''] = address.split(/:(?=\d+$)/);
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port), timeout: 2_000, ...options });
    let handshook = false;
    let timer: NodeJS.Timeout | undefined;
    const done = (result: ProbeResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    socket.once('secureConnect', () => {
      handshook = true;
      if (probe.alertWithinMs) timer = setTimeout(() => done({ handshake: 'ok' }), probe.alertWithinMs);
      else done({ handshake: 'ok' });
    });
    socket.once('timeout', () => done({ handshake: handshook ? 'ok' : 'none' }));
    socket.once('close', () => done({ handshake: handshook ? 'ok' : 'none' }));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND' || err.code === 'ECONNRESET')
        done({ handshake: handshook ? 'ok' : 'none' });
      else done({ handshake: 'failed', code: err.code ?? '', message: err.message });
    });
  });
}
