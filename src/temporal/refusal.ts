// Tells Temporal's refusal of our connection settings (an API key it does not accept, a
// certificate one side does not trust, TLS against a plaintext port or the reverse) from a server
// that is not up yet, so that the first is reported once, naming the setting, and not retried.
// The words come from grpc-js (the client) or the SDK's Rust core (the worker's NativeConnection).
//
// Neighbours: src/workers/connect.ts; src/kafka/refusal.ts does the same for Kafka.

import type { ConnectionOptions } from 'node:tls';
import { RefusedSettingError } from '../config-error';
import { probeTls } from '../tls-probe';
import type { TemporalConnection } from './connection-settings';

interface Rule {
  test: RegExp;
  variable: (t: TemporalConnection) => string;
  why: string;
}

const RULES: Rule[] = [
  {
    test: /unauthenticated|valid authentication credentials|\b401\b|permission.?denied|\b403\b/i,
    variable: (t) => (t.apiKey ? 'TEMPORAL_API_KEY' : 'TEMPORAL_API_KEY or TEMPORAL_TLS_CLIENT_CERT_PATH'),
    why: 'the server does not accept our credentials',
  },
  {
    test: /unknown ?issuer|self.signed|unable to (verify|get local issuer)|invalid peer certificate|certificate verify failed|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN/i,
    variable: () => 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
    why: "the server's certificate is not signed by a trusted CA",
  },
  {
    test: /not valid for name|NotValidForName|altnames|hostname mismatch|ERR_TLS_CERT_ALTNAME_INVALID/i,
    variable: () => 'TEMPORAL_TLS_SERVER_NAME',
    why: "the server's certificate is for another name",
  },
  {
    // nginx answers a TLS connection without a client certificate with HTTP 400.
    test: /certificate required|bad certificate|alert.*certificate|CertificateRequired|HTTP status code 400|No required SSL certificate/i,
    variable: () => 'TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH',
    why: 'the server did not accept our client certificate',
  },
  {
    test: /wrong version number|InvalidContentType|corrupt message|packet length too long|http2 .*protocol error/i,
    variable: (t) => `TEMPORAL_TLS (${t.tls ? 'on' : 'off'})`,
    why: 'the port and the client disagree on TLS',
  },
];

export async function temporalRefusalOf(
  err: unknown,
  temporal: TemporalConnection,
): Promise<RefusedSettingError | undefined> {
  let text = messages(err);
  let rule = RULES.find((r) => r.test.test(text));
  if (!rule) {
    // The client said only that it could not connect: a TLS handshake of our own tells why.
    const probe = await probeTls(temporal.address, probeOptions(temporal));
    if (probe.handshake === 'failed') {
      text = `${probe.code}: ${probe.message}`;
      rule = RULES.find((r) => r.test.test(text));
    } else if (probe.handshake === 'ok' && !temporal.tls) {
      return new RefusedSettingError(
        'TEMPORAL_TLS (off)',
        `Temporal at ${temporal.address}`,
        'the port speaks TLS: set TEMPORAL_TLS=true (or a TLS file, or an API key)',
      );
    }
  }
  if (!rule) return undefined;
  return new RefusedSettingError(
    rule.variable(temporal),
    `Temporal at ${temporal.address}`,
    `${rule.why} (${short(text)})`,
  );
}

function asBuffer(bytes: Uint8Array | undefined): Buffer | undefined {
  return bytes ? Buffer.from(bytes) : undefined;
}

/** The handshake our client would make: its CA, client certificate and server name. */
function probeOptions(temporal: TemporalConnection): ConnectionOptions {
  const tls = temporal.tls;
  if (!tls) return { rejectUnauthorized: false };
  return {
    ca: asBuffer(tls.serverRootCACertificate),
    cert: asBuffer(tls.clientCertPair?.crt),
    key: asBuffer(tls.clientCertPair?.key),
    ...(tls.serverNameOverride ? { servername: tls.serverNameOverride } : {}),
    ALPNProtocols: ['h2'],
  };
}

function messages(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    parts.push(current.message);
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join(' / ') || String(err);
}

/** The Rust core's messages are long debug dumps; one line of at most 300 characters is enough. */
function short(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
