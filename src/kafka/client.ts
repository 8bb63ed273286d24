// Makes the project's Kafka client: the one place a client library is chosen, so every consumer,
// producer and admin (worker, range reader, dead-letter publisher, producer, lag, records, dlq,
// benchmark) goes through the port (./port.ts) with the same security settings.

import type { Config } from '../config';
import type { Logger } from '../logger';
import { KafkajsClient } from './kafkajs/client';
import { PlatformaticClient } from './platformatic/client';
import type { KafkaClient } from './port';

export type KafkaClientConfig = Pick<Config, 'kafkaBrokers' | 'kafkaClientId' | 'kafkaSecurity' | 'kafkaClient'>;

export interface KafkaClientHooks {
  /** Hears of every failed connection to a broker (the pipeline's metrics count them). */
  onConnectionError?: () => void;
}

export function createKafkaClient(
  config: KafkaClientConfig,
  logger: Logger,
  hooks: KafkaClientHooks = {},
): KafkaClient {
  switch (config.kafkaClient) {
    case 'kafkajs':
      return new KafkajsClient(config, logger, hooks);
    case 'platformatic':
      return new PlatformaticClient(config, logger, hooks);
  }
}
