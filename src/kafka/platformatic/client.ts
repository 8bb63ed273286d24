// The Kafka port (../port.ts) on @platformatic/kafka, a maintained client (KAFKA_CLIENT=platformatic).
// Pinned to its 1.x line, the last to run on Node 20.
//
// Neighbours: ./connection.ts makes every client's options; one file per role beside it (admin,
// publisher, group-consumer with its gate, range-reader); ./refusal.ts explains refused settings.

import { Admin } from '@platformatic/kafka';
import { quietLogger, type Logger } from '../../logger';
import type { KafkaClientConfig, KafkaClientHooks } from '../client';
// `implements KafkaClient` checks what each method returns.
import type { GroupConsumerOptions, KafkaClient, PublisherOptions, RangeReaderOptions } from '../port';
import { PlatformaticAdmin } from './admin';
import { describeError } from './errors';
import { baseOptions, QUICK_PROBE, watchConnections } from './connection';
import { PlatformaticGroupConsumer } from './group-consumer';
import { PlatformaticPublisher } from './publisher';
import { PlatformaticRangeReader } from './range-reader';
import { platformaticRefusalOf } from './refusal';

export class PlatformaticClient implements KafkaClient {
  constructor(
    private readonly config: KafkaClientConfig,
    private readonly logger: Logger,
    private readonly hooks: KafkaClientHooks = {},
  ) {}

  async probe(): Promise<void> {
    // A client of its own with few retries, so an absent broker is reported within seconds; the
    // caller reports each failed attempt once.
    const probe = new Admin(baseOptions(this.config, QUICK_PROBE));
    watchConnections(probe, quietLogger(this.logger));
    try {
      await probe.metadata({ topics: [] });
    } catch (err) {
      const { kafkaSecurity: security, kafkaBrokers: brokers } = this.config;
      // The library's own message says how often it tried; the reason is within.
      throw (await platformaticRefusalOf(err, security, brokers)) ?? new Error(describeError(err));
    } finally {
      await probe.close().catch(() => undefined);
    }
  }

  async admin() {
    const admin = new Admin(baseOptions(this.config));
    this.watch(admin);
    try {
      // Connected, as the port promises (and as kafkajs's connect() leaves it).
      await admin.metadata({ topics: [] });
    } catch (err) {
      await admin.close().catch(() => undefined);
      throw err;
    }
    return new PlatformaticAdmin(admin);
  }

  publisher(options?: PublisherOptions) {
    return new PlatformaticPublisher(baseOptions(this.config), options, (producer) => this.watch(producer));
  }

  groupConsumer(options: GroupConsumerOptions) {
    return new PlatformaticGroupConsumer(
      { base: baseOptions(this.config), logger: this.logger, onConnectionError: this.hooks.onConnectionError },
      options,
    );
  }

  rangeReader(options: RangeReaderOptions) {
    return new PlatformaticRangeReader(baseOptions(this.config), options, (consumer) => this.watch(consumer));
  }

  private watch(client: Parameters<typeof watchConnections>[0]): void {
    watchConnections(client, this.logger, this.hooks.onConnectionError);
  }
}
