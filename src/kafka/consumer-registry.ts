// The sensor consumers one worker process holds, one per sensor replica. A sensor claims its
// consumer through the shared sensor task queue; whichever worker answers creates (or keeps) it and
// names its own worker-specific task queue, to which the sensor then sends consume-batch calls.
// A consumer no sensor has used for a while is closed, so its partitions go to the live replicas
// (this happens when a sensor re-homed its consumer to another worker, or was stopped). So is one
// that refused to rejoin its group (see rejoin-gate.ts: its session lapsed while the process was
// stopped, say). Either way its sensor is told (onRetired), in case it still counts on it.

import type { Logger } from '../logger';
import type { KafkaClient } from './port';
import { SensorConsumer, type SensorConsumerOptions } from './sensor-consumer';

export interface ConsumerRegistryOptions extends Omit<SensorConsumerOptions, 'logger' | 'onRetired'> {
  /** How often idle consumers are looked for. */
  reapIntervalMs: number;
  /**
   * Called after the registry closed a replica's consumer on its own (idle, or out of its group),
   * so its sensor, if it still uses this worker, claims a consumer again at once.
   */
  onRetired?: (replica: number) => void;
}

export class ConsumerRegistry {
  private readonly consumers = new Map<number, SensorConsumer>();
  private readonly starting = new Map<number, Promise<SensorConsumer>>();
  private readonly reaper: NodeJS.Timeout;

  constructor(
    private readonly kafka: KafkaClient,
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
    if (existing?.failed || existing?.closed) await this.release(replica).catch(() => undefined);
    else if (existing) {
      existing.lastUsedAt = Date.now();
      existing.keepFor(idleTimeoutMs);
      await existing.exclusive(() => existing.rewindToCommitted());
      this.logger.info('rewound the Kafka consumer to the committed offsets for a new claim', { replica });
      return existing;
    }
    let pending = this.starting.get(replica);
    if (!pending) {
      pending = this.create(replica, idleTimeoutMs).finally(() => this.starting.delete(replica));
      this.starting.set(replica, pending);
      return pending;
    }
    const consumer = await pending;
    consumer.keepFor(idleTimeoutMs);
    return consumer;
  }

  private async create(replica: number, idleTimeoutMs: number): Promise<SensorConsumer> {
    const consumer: SensorConsumer = new SensorConsumer(this.kafka, {
      ...this.options,
      logger: this.logger,
      onRetired: () => void this.closeRetired(replica, consumer),
    });
    consumer.keepFor(idleTimeoutMs);
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
    this.consumers.get(replica)?.keepFor(idleTimeoutMs);
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
    this.logger.info('closing Kafka consumer', { replica });
    await consumer.stop();
  }

  private async closeIdle(): Promise<void> {
    const now = Date.now();
    const idle = [...this.consumers].filter(([, consumer]) => consumer.leaseExpired(now));
    // All of them first: stopping one waits for the client, and meanwhile another could rejoin the
    // group (after a stall every lease may run out at once).
    for (const [replica, consumer] of idle) {
      this.logger.info('consumer unused for too long; leaving the group', { replica });
      consumer.retire('its sensor stopped using it');
    }
    await Promise.all(idle.map(([replica, consumer]) => this.closeRetired(replica, consumer)));
  }

  /** Closes a consumer that retired itself or was found idle, and tells its sensor. */
  private async closeRetired(replica: number, consumer: SensorConsumer): Promise<void> {
    // A consumer claimed since has taken its place: that one stays.
    if (this.consumers.get(replica) !== consumer) return;
    await this.release(replica).catch((err) =>
      this.logger.warn('closing a Kafka consumer failed', { replica, error: String(err) }),
    );
    this.options.onRetired?.(replica);
  }

  async closeAll(): Promise<void> {
    clearInterval(this.reaper);
    await Promise.all([...this.starting.values()].map((p) => p.catch(() => undefined)));
    await Promise.all([...this.consumers.keys()].map((replica) => this.release(replica)));
  }
}
