// Tells a broker's refusal of our security settings (a wrong password, a mechanism it does not
// enable, a certificate one side does not trust, TLS spoken to a plaintext port) from a broker that
// is just not up yet. The first is a setting to fix, reported once with the variable to check and
// the words of the server; the second is worth waiting for (src/workers/retry.ts).
//
// The rules read Kafka's error names and Node's TLS codes, not a client library's classes, so both
// clients use them: ./kafkajs/client.ts as its errors come, ./platformatic/refusal.ts after
// restating the library's nested errors in these terms.
//
// Neighbours: each client's probe (at startup, through src/workers/connect.ts) throws what this
// returns; ./security.ts names the settings.

import { RefusedSettingError } from '../config-error';
import type { KafkaSecurity } from './security';
import { probeTls } from '../tls-probe';

/** Node's codes for a server certificate no trusted CA signed. */
const UNTRUSTED_SERVER = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
]);

interface ErrorLike {
  name?: string;
  /** kafkajs protocol errors: the broker's error code name. */
  type?: string;
  message?: string;
  code?: string;
  cause?: unknown;
  originalError?: unknown;
}

/** The refusal `err` stands for, or undefined when it may be a passing outage. */
export function refusalOf(err: unknown, security: KafkaSecurity, brokers: string[]): RefusedSettingError | undefined {
  const server = `Kafka at ${brokers.join(',')}`;
  for (const e of chain(err)) {
    const message = tidy(e.message ?? '');
    const code = e.code ?? '';
    if (e.type === 'UNSUPPORTED_SASL_MECHANISM') {
      return new RefusedSettingError(`KAFKA_SASL_MECHANISM (${security.sasl?.mechanism})`, server, message);
    }
    if (e.name === 'KafkaJSSASLAuthenticationError' || e.type === 'SASL_AUTHENTICATION_FAILED') {
      const variable = /not supported by the server/.test(message)
        ? 'KAFKA_SASL_MECHANISM'
        : 'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)';
      return new RefusedSettingError(variable, server, message);
    }
    if (UNTRUSTED_SERVER.has(code)) {
      const which = security.tls?.ca ? 'KAFKA_SSL_CA_LOCATION' : 'KAFKA_SSL_CA_LOCATION (empty: the system CAs)';
      return new RefusedSettingError(which, server, `its certificate is not signed by a trusted CA (${message})`);
    }
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return new RefusedSettingError(
        'KAFKA_SSL_SERVER_NAME or KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM',
        server,
        `its certificate is for another name (${message})`,
      );
    }
    if (/ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|HANDSHAKE_FAILURE)/.test(code)) {
      return new RefusedSettingError(
        'KAFKA_SSL_CERTIFICATE_LOCATION and KAFKA_SSL_KEY_LOCATION',
        server,
        `the broker did not accept our client certificate (${message})`,
      );
    }
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/.test(message)) {
      return new RefusedSettingError(
        `KAFKA_SECURITY_PROTOCOL (${security.protocol})`,
        server,
        `the port does not speak TLS (${message})`,
      );
    }
  }
  return undefined;
}

/**
 * A client without TLS sees a TLS port close the connection, as a broker going down would. Tells
 * the two apart by trying a TLS handshake on the first broker: if it completes, the port wants TLS.
 */
export async function plaintextToTlsPort(
  err: unknown,
  security: KafkaSecurity,
  brokers: string[],
): Promise<RefusedSettingError | undefined> {
  if (security.tls || !/closed|timeout/i.test(String((err as Error | undefined)?.message))) return undefined;
  const speaksTls = await handshakeCompletes(brokers[0] ?? '');
  if (!speaksTls) return undefined;
  return new RefusedSettingError(
    `KAFKA_SECURITY_PROTOCOL (${security.protocol})`,
    `Kafka at ${brokers.join(',')}`,
    'the port speaks TLS and closes connections without it (use SSL or SASL_SSL)',
  );
}

/** True when a TLS handshake with `broker` (host:port) completes, whatever its certificate. */
export async function handshakeCompletes(broker: string): Promise<boolean> {
  return (await probeTls(broker, { rejectUnauthorized: false })).handshake === 'ok';
}

/** OpenSSL's errors come with a code path and a source file; keep the words a person can act on. */
function tidy(message: string): string {
  const reason = /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1];
  return reason ? message.replace(/\S*SSL routines:[\s\S]*$/, reason) : message.trim();
}

/** The error and what it wraps: kafkajs nests the socket's error in retry and connection errors. */
function* chain(err: unknown): Generator<ErrorLike> {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const e = current as ErrorLike;
    yield e;
    current = e.cause ?? e.originalError;
  }
}
