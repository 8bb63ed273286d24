// The options every @platformatic/kafka client of the project is made with: brokers, TLS and SASL
// from the security settings, timeouts and a retry policy that outlasts a broker restart. The one
// place they are set, so every consumer, producer and admin behind the port connects alike.
//
// Neighbours: ../security.ts resolves the security settings; ./refusal.ts explains a broker's
// refusal of them; ./client.ts puts the port on top.

import { ConnectionPool, type Base, type BaseOptions, type SASLOptions } from '@platformatic/kafka';
import type { Logger } from '../../logger';
import type { KafkaClientConfig } from '../client';
import { tlsConnectionOptions, type KafkaSecurity } from '../security';

/** How often, and how long apart, the library retries an operation before it gives up. */
export interface RetryPolicy {
  retries: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** About a minute of backoff before an operation gives up: enough to ride out a broker restart. */
export const RIDE_OUT_RESTARTS: RetryPolicy = { retries: 10, initialDelayMs: 300, maxDelayMs: 10_000 };
/** A couple of quick tries: for probes that should report an absent broker within seconds. */
export const QUICK_PROBE: RetryPolicy = { retries: 2, initialDelayMs: 300, maxDelayMs: 1_000 };

/** Options shared by every client; the caller adds its role's own (group, producer…). */
export function baseOptions(config: KafkaClientConfig, retry: RetryPolicy = RIDE_OUT_RESTARTS): BaseOptions {
  return {
    clientId: config.kafkaClientId,
    bootstrapBrokers: config.kafkaBrokers,
    connectTimeout: 3_000,
    retries: retry.retries,
    retryDelay: (_client, _operation, attempt) =>
      Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** Math.max(0, attempt - 1)),
    ...securityOptions(config.kafkaSecurity),
  };
}

/** The library's `tls` (handed to tls.connect) and `sasl` options for a security setup. */
export function securityOptions(security: KafkaSecurity): Pick<BaseOptions, 'tls' | 'sasl'> {
  return { tls: tlsConnectionOptions(security), sasl: saslOptions(security) };
}

function saslOptions(security: KafkaSecurity): SASLOptions | undefined {
  const sasl = security.sasl;
  if (!sasl) return undefined;
  // A provider rather than the string: the password is revealed only when a connection
  // authenticates, and never sits in an options object that something might print.
  return { mechanism: sasl.mechanism, username: sasl.username, password: () => sasl.password.reveal() };
}

/**
 * Routes the connection failures of a client (or of a connection pool of its own) to
 * `onConnectionError` (the pipeline's metrics count them) and to the debug log: the operation that
 * fails says so itself once the library gives up.
 */
export function watchConnections(source: Base | ConnectionPool, logger: Logger, onConnectionError?: () => void): void {
  const event = source instanceof ConnectionPool ? 'failed' : 'client:broker:failed';
  source.on(event, (payload: { broker?: { host: string; port: number } }) => {
    onConnectionError?.();
    const broker = payload.broker ? `${payload.broker.host}:${payload.broker.port}` : 'a broker';
    logger.debug(`kafka: connection to ${broker} failed`);
  });
}
