// The sensor consumers one worker process holds, one per sensor replica. A sensor claims its
// consumer through the shared sensor task queue; whichever worker answers creates (or keeps) it and
// names its own worker-specific task queue, to which the sensor then sends consume-batch calls.
// A consumer no sensor has used for a while is closed, so its partitions go to the live replicas
// (this happens when a sensor re-homed its consumer to another worker, or was stopped).

import type { Kafka } from 'kafkajs';
import type { Logger } from '../logger';
import { SensorConsumer, type SensorConsumerOptions } from './sensor-consumer';

export interface ConsumerRegistryOptions extends Omit<SensorConsumerOptions, 'logger'> {
  /** How often idle consumers are looked for. */
  reapIntervalMs: number;
}

export class ConsumerRegistry {
  private readonly consumers = new Map<number, SensorConsumer>();
  private readonly starting = new Map<number, Promise<SensorConsumer>>();
  /** Per replica, how long its consumer may go unused before it is closed (the sensor says). */
  private readonly idleTimeouts = new Map<number, number>();
  private readonly reaper: NodeJS.Timeout;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: ConsumerRegistryOptions,
    private readonly logger: Logger,
  ) {
    this.reaper = setInterval(() => void this.closeIdle(), options.reapIntervalMs);
    this.reaper.unref();
  }

  /**
   * Returns the replica's consumer, creating it (and joining the group) if this process has none.
   * A consumer this process already holds is rewound to the group's committed offsets first: the
   * sensor claims again only after a call failed, and that call may have taken records whose
   * result never reached it (see SensorConsumer.rewindToCommitted).
   */
  async claim(replica: number, idleTimeoutMs: number): Promise<SensorConsumer> {
    const existing = this.consumers.get(replica);
    if (existing?.failed) await this.release(replica).catch(() => undefined);
    else if (existing) {
      existing.lastUsedAt = Date.now();
      this.idleTimeouts.set(replica, idleTimeoutMs);
      await existing.exclusive(() => existing.rewindToCommitted());
      this.logger.info('rewound the Kafka consumer to the committed offsets for a new claim', { replica });
      return existing;
    }
    let pending = this.starting.get(replica);
    if (!pending) {
      pending = this.create(replica).finally(() => this.starting.delete(replica));
      this.starting.set(replica, pending);
    }
    this.idleTimeouts.set(replica, idleTimeoutMs);
    return pending;
  }

  private async create(replica: number): Promise<SensorConsumer> {
    const consumer = new SensorConsumer(this.kafka, { ...this.options, logger: this.logger });
    this.logger.info('starting Kafka consumer', { replica, topic: this.options.topic, group: this.options.groupId });
    try {
      await consumer.start();
    } catch (err) {
      await consumer.stop().catch(() => undefined);
      throw err;
    }
    this.consumers.set(replica, consumer);
    return consumer;
  }

  /** From now on, close the replica's consumer only after it has been unused for `idleTimeoutMs`. */
  keepFor(replica: number, idleTimeoutMs: number): void {
    if (this.consumers.has(replica)) this.idleTimeouts.set(replica, idleTimeoutMs);
  }

  /** The replicas whose consumers this process holds now. */
  heldReplicas(): number[] {
    return [...this.consumers.keys()];
  }

  /** The replica's consumer if this process holds it. */
  get(replica: number): SensorConsumer | undefined {
    return this.consumers.get(replica);
  }

  async release(replica: number): Promise<void> {
    const consumer = this.consumers.get(replica);
    if (!consumer) return;
    this.consumers.delete(replica);
    this.idleTimeouts.delete(replica);
    this.logger.info('closing Kafka consumer', { replica });
    await consumer.stop();
  }

  private async closeIdle(): Promise<void> {
    const now = Date.now();
    for (const [replica, consumer] of this.consumers) {
      const limit = this.idleTimeouts.get(replica) ?? Infinity;
      if (now - consumer.lastUsedAt > limit) {
        this.logger.info('consumer unused for too long; leaving the group', { replica });
        await this.release(replica).catch((err) =>
          this.logger.warn('closing an idle consumer failed', { error: String(err) }),
        );
      }
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.reaper);
    await Promise.all([...this.starting.values()].map((p) => p.catch(() => undefined)));
    await Promise.all([...this.consumers.keys()].map((replica) => this.release(replica)));
  }
}
