// Builds the kafkajs client from the config: the one place a kafkajs Kafka is made, so every
// consumer, producer and admin behind the port connects with the same security settings. Its log
// lines are routed through our logger, and its retry policy outlasts a broker restart instead of
// crashing the process.
//
// Neighbours: ../security.ts resolves the security settings; ./refusal.ts explains a broker's
// refusal of them; ./client.ts puts the port on top.

import {
  Kafka,
  logLevel as KafkaLogLevel,
  type KafkaConfig,
  type LogEntry,
  type RetryOptions,
  type SASLOptions,
} from 'kafkajs';
import type { Logger } from '../../logger';
import type { KafkaClientConfig } from '../client';
import { REJOIN_REFUSED } from '../rejoin-gate';
import { tlsConnectionOptions, type KafkaSecurity } from '../security';

/** About a minute of backoff before an operation gives up: enough to ride out a broker restart. */
export const RIDE_OUT_RESTARTS: RetryOptions = { initialRetryTime: 300, maxRetryTime: 10_000, retries: 10 };
/** A couple of quick tries: for probes that should report an absent broker within seconds. */
export const QUICK_PROBE: RetryOptions = { initialRetryTime: 300, maxRetryTime: 1_000, retries: 2 };

/**
 * `onConnectionError` hears of every failed connection to a broker (the pipeline's metrics count
 * them): kafkajs reports those only in its log, as "Connection error: …" or "Connection timeout".
 */
export function createKafka(
  config: KafkaClientConfig,
  logger: Logger,
  retry: RetryOptions = RIDE_OUT_RESTARTS,
  onConnectionError?: () => void,
): Kafka {
  return new Kafka({
    clientId: config.kafkaClientId,
    brokers: config.kafkaBrokers,
    ...securityOptions(config.kafkaSecurity),
    connectionTimeout: 3_000,
    retry,
    logLevel: KafkaLogLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      if (onConnectionError && isConnectionFailure(entry)) onConnectionError();
      logKafkaEntry(logger, entry);
    },
  });
}

function isConnectionFailure({ level, namespace, log }: LogEntry): boolean {
  return level === KafkaLogLevel.ERROR && namespace === 'Connection' && /^Connection (error|timeout)/.test(log.message);
}

/** The kafkajs options for a security setup: `ssl` for TLS, `sasl` for credentials. */
export function securityOptions(security: KafkaSecurity): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  return { ssl: tlsConnectionOptions(security), sasl: saslOptions(security) };
}

function saslOptions(security: KafkaSecurity): SASLOptions | undefined {
  const sasl = security.sasl;
  if (!sasl) return undefined;
  const credentials = { username: sasl.username, password: sasl.password.reveal() };
  switch (sasl.mechanism) {
    case 'PLAIN':
      return { mechanism: 'plain', ...credentials };
    case 'SCRAM-SHA-256':
      return { mechanism: 'scram-sha-256', ...credentials };
    case 'SCRAM-SHA-512':
      return { mechanism: 'scram-sha-512', ...credentials };
  }
}

function logKafkaEntry(logger: Logger, { level, namespace, log }: LogEntry): void {
  const { message, timestamp: _t, logger: _l, stack: _s, ...fields } = log;
  const text = `kafka ${namespace}: ${message}`;
  // kafkajs logs every error response at ERROR, rebalances included; what matters is logged again
  // by the consumer or producer that acts on it, so connection-level lines stay at debug.
  // kafkajs also logs each failed connection attempt twice (Connection, then BrokerPool); one
  // warning per attempt is enough.
  if (namespace === 'Connection') logger.debug(text, fields);
  else if (namespace === 'BrokerPool') logger.warn(text, fields);
  // A consumer that refused to rejoin its group (rejoin-gate.ts) "crashes" on purpose, and the
  // consumer has said why at info already: an ERROR line would cry wolf.
  else if (message.includes(REJOIN_REFUSED)) logger.debug(text, fields);
  else if (level === KafkaLogLevel.ERROR) logger.error(text, fields);
  else if (level === KafkaLogLevel.WARN) logger.warn(text, fields);
  else logger.debug(text, fields);
}
