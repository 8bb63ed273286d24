// One TLS handshake with a server, to learn why a client library failed to connect when it will
// not say (grpc-js reports a certificate it does not trust as "Failed to connect before the
// deadline", like a server that is down). Used only after a failed connection at startup.
//
// Neighbours: src/temporal/refusal.ts.

import { connect, type ConnectionOptions } from 'node:tls';

export type ProbeResult =
  { handshake: 'ok' } | { handshake: 'failed'; code: string; message: string } | { handshake: 'none' };

/** `none`: no TCP connection or no answer within 2 s; `failed`: TLS said why; `ok`: it completed. */
export function probeTls(address: string, options: ConnectionOptions = {}): Promise<ProbeResult> {
  const [host = '', port = ''] = address.split(/:(?=\d+$)/);
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port), timeout: 2_000, ...options });
    const done = (result: ProbeResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('secureConnect', () => done({ handshake: 'ok' }));
    socket.once('timeout', () => done({ handshake: 'none' }));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND' || err.code === 'ECONNRESET')
        done({ handshake: 'none' });
      else done({ handshake: 'failed', code: err.code ?? '', message: err.message });
    });
  });
}
