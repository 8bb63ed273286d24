// The Kafka port (../port.ts) on kafkajs: the default client.

import type { Kafka } from 'kafkajs';
import { quietLogger, type Logger } from '../../logger';
import type { KafkaClientConfig, KafkaClientHooks } from '../client';
// `implements KafkaClient` checks what each method returns.
import type { GroupConsumerOptions, KafkaClient, PublisherOptions, RangeReaderOptions } from '../port';
import { KafkajsAdmin } from './admin';
import { KafkajsGroupConsumer } from './group-consumer';
import { createKafka, QUICK_PROBE, RIDE_OUT_RESTARTS } from './kafka';
import { KafkajsPublisher } from './publisher';
import { KafkajsRangeReader } from './range-reader';
import { plaintextToTlsPort, refusalOf } from '../refusal';

export class KafkajsClient implements KafkaClient {
  private readonly kafka: Kafka;

  constructor(
    private readonly config: KafkaClientConfig,
    private readonly logger: Logger,
    hooks: KafkaClientHooks = {},
  ) {
    this.kafka = createKafka(config, logger, RIDE_OUT_RESTARTS, hooks.onConnectionError);
  }

  async probe(): Promise<void> {
    // A client of its own with few retries, so an absent broker is reported within seconds; its
    // kafkajs lines stay at debug, since the caller reports each failed attempt once.
    const probe = createKafka(this.config, quietLogger(this.logger), QUICK_PROBE).admin();
    try {
      await probe.connect();
      await probe.describeCluster();
    } catch (err) {
      const { kafkaSecurity: security, kafkaBrokers: brokers } = this.config;
      throw refusalOf(err, security, brokers) ?? (await plaintextToTlsPort(err, security, brokers)) ?? err;
    } finally {
      await probe.disconnect().catch(() => undefined);
    }
  }

  async admin() {
    const admin = this.kafka.admin();
    await admin.connect();
    return new KafkajsAdmin(admin);
  }

  publisher(options?: PublisherOptions) {
    return new KafkajsPublisher(this.kafka, options);
  }

  groupConsumer(options: GroupConsumerOptions) {
    return new KafkajsGroupConsumer(this.kafka, options);
  }

  rangeReader(options: RangeReaderOptions) {
    return new KafkajsRangeReader(this.kafka, { ...options, logger: this.logger });
  }
}
