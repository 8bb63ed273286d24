// Makes the project's Kafka client: the one place a client library is chosen, so every consumer,
// producer and admin (worker, range reader, dead-letter publisher, producer, lag, records, dlq,
// benchmark) goes through the port (./port.ts) with the same security settings.

import type { Config } from '../config';
import type { Logger } from '../logger';
import type { KafkaClient } from './port';

export type KafkaClientConfig = Pick<Config, 'kafkaBrokers' | 'kafkaClientId' | 'kafkaSecurity' | 'kafkaClient'>;

export interface KafkaClientHooks {
  /** Hears of every failed connection to a broker (the pipeline's metrics count them). */
  onConnectionError?: () => void;
}

/**
 * Loads only the library chosen: @platformatic/kafka alone takes about 0.4 s and 30 MiB to load,
 * which a worker on kafkajs should not pay at every start (nor the other way round).
 */
export async function createKafkaClient(
  config: KafkaClientConfig,
  logger: Logger,
  hooks: KafkaClientHooks = {},
): Promise<KafkaClient> {
  switch (config.kafkaClient) {
    case 'kafkajs': {
      const { KafkajsClient } = await import('./kafkajs/client');
      return new KafkajsClient(config, logger, hooks);
    }
    case 'platformatic': {
      const { PlatformaticClient } = await import('./platformatic/client');
      return new PlatformaticClient(config, logger, hooks);
    }
  }
}
