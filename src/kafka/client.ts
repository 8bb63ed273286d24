// Builds the kafkajs client from the config, with its log lines routed through our logger and a
// retry policy that outlasts a broker restart instead of crashing the process.

import { Kafka, logLevel as KafkaLogLevel, type LogEntry } from 'kafkajs';
import type { Config } from '../config';
import type { Logger } from '../logger';

export function createKafka(config: Pick<Config, 'kafkaBrokers' | 'kafkaClientId'>, logger: Logger): Kafka {
  return new Kafka({
    clientId: config.kafkaClientId,
    brokers: config.kafkaBrokers,
    connectionTimeout: 3_000,
    // Up to about a minute of backoff before an operation gives up: enough for a broker restart.
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 10 },
    logLevel: KafkaLogLevel.WARN,
    logCreator: () => (entry: LogEntry) => logKafkaEntry(logger, entry),
  });
}

function logKafkaEntry(logger: Logger, { level, namespace, log }: LogEntry): void {
  const { message, timestamp: _t, logger: _l, stack: _s, ...fields } = log;
  const text = `kafka ${namespace}: ${message}`;
  // kafkajs logs every error response at ERROR, rebalances included; what matters is logged again
  // by the consumer or producer that acts on it, so protocol responses stay at debug.
  if (namespace === 'Connection' && message.startsWith('Response ')) logger.debug(text, fields);
  else if (level === KafkaLogLevel.ERROR) logger.error(text, fields);
  else if (level === KafkaLogLevel.WARN) logger.warn(text, fields);
  else logger.debug(text, fields);
}
