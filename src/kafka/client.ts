// Builds the kafkajs client from the config, with its log lines routed through our logger and a
// retry policy that outlasts a broker restart instead of crashing the process.

import { Kafka, logLevel as KafkaLogLevel, type LogEntry, type RetryOptions } from 'kafkajs';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { REJOIN_REFUSED } from './rejoin-gate';

/** About a minute of backoff before an operation gives up: enough to ride out a broker restart. */
const RIDE_OUT_RESTARTS: RetryOptions = { initialRetryTime: 300, maxRetryTime: 10_000, retries: 10 };
/** A couple of quick tries: for probes that should report an absent broker within seconds. */
export const QUICK_PROBE: RetryOptions = { initialRetryTime: 300, maxRetryTime: 1_000, retries: 2 };

export function createKafka(
  config: Pick<Config, 'kafkaBrokers' | 'kafkaClientId'>,
  logger: Logger,
  retry: RetryOptions = RIDE_OUT_RESTARTS,
): Kafka {
  return new Kafka({
    clientId: config.kafkaClientId,
    brokers: config.kafkaBrokers,
    connectionTimeout: 3_000,
    retry,
    logLevel: KafkaLogLevel.WARN,
    logCreator: () => (entry: LogEntry) => logKafkaEntry(logger, entry),
  });
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
