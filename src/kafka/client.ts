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
    // About 20 s of backoff before an operation gives up; callers that must outlast a longer outage
    // (the worker at startup, the sensor) retry again around it.
    retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 6 },
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
  else if (level === KafkaLogLevel.ERROR) logger.error(text, fields);
  else if (level === KafkaLogLevel.WARN) logger.warn(text, fields);
  else logger.debug(text, fields);
}
