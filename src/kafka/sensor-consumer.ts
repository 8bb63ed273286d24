// One long-lived group consumer per sensor replica, turned from push into pull. A client pushes
// fetched records; the sensor wants "up to N records or B bytes, waiting at most T". A bounded
// buffer (./record-buffer.ts) sits between the two: the fetch loop fills it and waits (heartbeating)
// while it is full, so records beyond it wait in Kafka as lag; take() cuts batches from it.
//
// Offsets are never committed automatically: the sensor commits a partition's offset only after the
// runs holding its records have started (see src/workflows/sensor.ts), and ./commit-policy.ts says
// which of them to send.
//
// It joins the group once, when it starts; the client rejoins by itself after a rebalance, a lapsed
// session or a crash, and each such rejoin passes ./rejoin-gate.ts first: a consumer whose sensor
// has moved, or that was closed, leaves instead (onRetired tells the registry).

import type { Logger } from '../logger';
import { messageBytes, type Batch, type PartitionOffset } from '../batch';
import type { BatchLimits } from './batch-planner';
import { findResets, knownPartitions, planCommit, type TopicReset } from './commit-policy';
import { toBatchMessage } from './encoding';
import type { BytePool } from './byte-pool';
import { OneAtATime } from './one-at-a-time';
import type { FetchedRecords, GroupConsumer, KafkaAdmin, KafkaClient } from './port';
import { RecordBuffer } from './record-buffer';
import { reasonNotToRejoin, RejoinRefusedError } from './rejoin-gate';

export type { TopicReset } from './commit-policy';

/** Records buffered between two turns of the event loop (see fill()). */
const YIELD_EVERY = 500;
/** Kafka drops a member it has not heard from for this long; the clients heartbeat every 3 s. */
const SESSION_TIMEOUT_MS = 30_000;

export interface SensorConsumerOptions {
  topic: string;
  groupId: string;
  fromBeginning: boolean;
  /** Most records held in memory; beyond it the fetch loop waits. */
  bufferMessages: number;
  /** Heap bytes held on this consumer's own share (./record-weight.ts); beyond it the fetch loop waits unless `bufferPool` has room. */
  bufferBytes: number;
  /** Shared by the consumers of this process beyond their own shares (./byte-pool.ts). */
  bufferPool?: BytePool;
  /** Fetch sizes of the client (see GroupConsumerOptions.fetchMaxBytes). */
  fetchMaxBytes?: { total: number; perPartition: number };
  logger?: Logger;
  /**
   * Called once when the consumer refused to rejoin its group (see ./rejoin-gate.ts), with the
   * reason; it is out of the group and the client has given up on it, so its owner closes it.
   */
  onRetired?: (reason: string) => void;
}

export interface TakeRequest extends BatchLimits {
  /**
   * How long a record may wait in the buffer for its batch to fill (MAX_BATCH_WAIT): the call
   * returns what there is once the oldest buffered record has waited this long, or, when the
   * buffer is empty at the call, this long after the call began.
   */
  maxWaitMs: number;
  /** Per partition, the highest offset already in a started run: such records are dropped. */
  skipThrough: Record<string, string>;
}

export interface TakeResult {
  batches: Batch[];
  /** Partitions this consumer holds now. */
  assignment: number[];
}

/**
 * The consumer stopped for good (the client gave up restarting it); the sensor must claim a new one.
 * Private: the sensor retries any failure of its consume call alike; the name is for the reader.
 */
class ConsumerFailedError extends Error {
  override readonly name = 'ConsumerFailedError';
}

export class SensorConsumer {
  private readonly buffer: RecordBuffer;
  private assignment: number[] = [];
  private failure: Error | undefined;
  private consumer: GroupConsumer | undefined;
  /** Reads the group's committed offsets, so a commit never moves them back (see commit()). */
  private admin: KafkaAdmin | undefined;
  /** Last time the sensor used this consumer; an idle one is closed (see ConsumerRegistry). */
  lastUsedAt = Date.now();
  /** How long the sensor asked to keep this consumer without a call (see keepFor()). */
  private leaseMs = Infinity;
  /** Last heartbeat or join the coordinator accepted: the member is alive for a session from then. */
  private lastMembershipAt: number | undefined;
  /** Closed, or retired by the rejoin gate: it never joins the group again. */
  private closedBecause: string | undefined;
  /** A take has handed out records (see take()). */
  private handedOut = false;
  /** The sensor's calls, one at a time (see exclusive()). */
  private readonly calls = new OneAtATime();

  constructor(
    private readonly kafka: KafkaClient,
    readonly options: SensorConsumerOptions,
  ) {
    this.buffer = new RecordBuffer({
      messages: options.bufferMessages,
      bytes: options.bufferBytes,
      pool: options.bufferPool,
    });
  }

  async start(): Promise<void> {
    const { topic, groupId, fromBeginning, fetchMaxBytes } = this.options;
    this.consumer = this.kafka.groupConsumer({
      topic,
      groupId,
      fromBeginning,
      fetchMaxBytes,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      beforeJoin: () => this.checkRejoin(),
      onJoined: (partitions) => {
        this.lastMembershipAt = Date.now();
        // After a rebalance the client fetches again from the committed offsets; what the buffer
        // holds would be delivered twice, and may belong to partitions this member no longer owns.
        this.buffer.clear();
        this.assignment = partitions;
      },
      onHeartbeat: () => void (this.lastMembershipAt = Date.now()),
      onFailed: (error) => {
        this.failure = error;
        this.buffer.interrupt();
      },
      onRecords: (fetched) => this.fill(fetched),
    });
    this.admin = await this.kafka.admin();
    await this.consumer.start();
  }

  /** The client's fetched records: moves them into the buffer, waiting while it is full. */
  private async fill({ partition, records, isCurrent, heartbeat }: FetchedRecords): Promise<number> {
    let taken = 0;
    for (const record of records) {
      // Lets the worker's other work (Temporal tasks) in between: six consumers filling their
      // buffers at a start kept the event loop busy for a second in slices of thousands of records.
      if (taken % YIELD_EVERY === 0 && taken > 0) await new Promise((resolve) => setImmediate(resolve));
      while (this.buffer.isFull()) {
        if (!isCurrent()) return taken;
        await this.buffer.waitForSpace(1_000);
        // Keeps the group membership alive while the sensor is not taking records.
        await heartbeat();
      }
      if (!isCurrent()) return taken;
      const message = toBatchMessage(record);
      this.buffer.push(partition, { message, bytes: messageBytes(message) });
      taken++;
    }
    return taken;
  }

  /** Calls `wake` once when a record is buffered (see RecordBuffer.wakeOnNextRecord). */
  wakeOnNextRecord(wake: () => void): void {
    this.buffer.wakeOnNextRecord(wake);
  }

  /** True once the client has given up on this consumer; the registry then replaces it. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** True once closed or retired: the registry replaces it at the next claim. */
  get closed(): boolean {
    return this.closedBecause !== undefined;
  }

  /** From now on, the sensor may leave this consumer unused for `leaseMs` before it is closed. */
  keepFor(leaseMs: number): void {
    this.leaseMs = leaseMs;
  }

  /** True when its sensor has not used it within its lease: the sensor moved or stopped. */
  leaseExpired(now = Date.now()): boolean {
    return now - this.lastUsedAt > this.leaseMs;
  }

  /**
   * Marks the consumer closed at once, before stop() (which waits for the client) has begun: from
   * here on no join of the client's gets past the gate. The registry does this to every idle
   * consumer before stopping any of them, so none rejoins while another is being stopped.
   */
  retire(reason: string): void {
    this.closedBecause ??= reason;
  }

  /** The rejoin gate (./rejoin-gate.ts): throws RejoinRefusedError to stop a join. */
  private checkRejoin(): void {
    const wasClosed = this.closed;
    const reason =
      this.closedBecause ??
      reasonNotToRejoin({
        now: Date.now(),
        lastMembershipAt: this.lastMembershipAt,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        lastUsedAt: this.lastUsedAt,
        leaseMs: this.leaseMs,
      });
    if (reason === undefined) return;
    if (!wasClosed) {
      this.retire(reason);
      this.options.logger?.info('Kafka consumer leaves its group instead of rejoining', {
        group: this.options.groupId,
        reason,
      });
      // Out of the client's call stack: the owner's close waits for the client to wind down.
      setImmediate(() => this.options.onRetired?.(reason));
    }
    throw new RejoinRefusedError(reason);
  }

  /**
   * Waits until a full batch is buffered or the oldest buffered record has waited `maxWaitMs` (see
   * TakeRequest), then cuts batches. Until a take has handed out records, though, it returns as
   * soon as any are buffered: a new consumer's first records come from Kafka, where they waited
   * already (a backlog at a worker's start, most often), and its sensor's first run starts with
   * the first fetch instead of after the fetches that fill a batch.
   */
  async take(request: TakeRequest): Promise<TakeResult> {
    this.lastUsedAt = Date.now();
    // The sensor is taking records: it is not waiting to be woken.
    this.buffer.cancelWake();
    this.buffer.dropThrough(request.skipThrough);
    await this.buffer.waitForBatch(
      request,
      request.maxWaitMs,
      () => this.failure !== undefined || (!this.handedOut && this.buffer.size > 0),
    );
    if (this.failure) throw new ConsumerFailedError(`Kafka consumer stopped: ${this.failure.message}`);
    const batches = this.buffer.cut(this.options.topic, request);
    if (batches.length > 0) this.handedOut = true;
    this.lastUsedAt = Date.now();
    return { batches, assignment: this.assignment };
  }

  /**
   * Commits the next offsets to read (those ./commit-policy.ts planCommit says to send), and
   * returns those the sensor need not send again. A refused commit (e.g. during a rebalance)
   * settles nothing: the sensor retries with its next call.
   */
  async commit(offsets: PartitionOffset[], known: Record<string, string> = {}): Promise<PartitionOffset[]> {
    this.lastUsedAt = Date.now();
    if (!offsets.some((o) => this.assignment.includes(o.partition))) return [];
    try {
      const committed = await this.committedOffsets();
      const plan = planCommit(offsets, this.assignment, committed, known);
      if (plan.send.length > 0) await this.requireConsumer().commit(plan.send);
      return plan.settled;
    } catch (err) {
      this.options.logger?.warn('offset commit refused; it will be retried', {
        group: this.options.groupId,
        error: (err as Error).message,
      });
      return [];
    }
  }

  /**
   * A reset of the group's offsets (`npm run reset`): commits the targets of the partitions this
   * consumer holds, whether ahead of the group's offsets or behind them (unlike commit()), then
   * reads them from there, dropping what is buffered. Returns the targets it applied. A refused
   * commit throws: the sensor tries again, and nothing has moved.
   */
  async resetTo(targets: PartitionOffset[]): Promise<PartitionOffset[]> {
    this.lastUsedAt = Date.now();
    const held = targets.filter((t) => this.assignment.includes(t.partition));
    if (held.length === 0) return [];
    await this.requireConsumer().commit(held);
    this.rewind(held);
    const { topic, groupId } = this.options;
    this.options.logger?.info('consumer group offsets reset', { group: groupId, topic, offsets: held });
    return held;
  }

  /** Partitions this consumer holds now. */
  get heldPartitions(): number[] {
    return [...this.assignment];
  }

  /** Held partitions whose offsets went back: the topic was recreated (see findResets). */
  async findResetPartitions(known: Record<string, string>): Promise<TopicReset[]> {
    if (knownPartitions(this.assignment, known).length === 0) return [];
    const committed = await this.committedOffsets();
    const bounds = await this.requireAdmin().partitionBounds(this.options.topic);
    return findResets(this.assignment, known, committed, new Map(bounds.map((p) => [p.partition, p.high])));
  }

  private committedOffsets(): Promise<Map<number, string>> {
    return this.requireAdmin().committedOffsets(this.options.groupId, this.options.topic);
  }

  /**
   * Runs the sensor's calls one at a time. A call whose activity already timed out in Temporal may
   * still be running here (e.g. a commit waiting out a broker restart); the call that follows,
   * such as the rewind of a new claim, must see what it took from the buffer.
   */
  exclusive<T>(call: () => Promise<T>): Promise<T> {
    return this.calls.run(call);
  }

  /**
   * Reads every partition this consumer holds again from the group's committed offset (from the log
   * start if none, when reading from the beginning), dropping what is buffered. For a sensor that
   * claims this consumer again: it does so after a call failed, and the result of that call may
   * have been lost on its way back (it timed out while Temporal was away, say) with records it took
   * from the buffer. Those records are in no run, and the buffer has moved past them. Re-read
   * records that are in started runs are dropped again by skipThrough.
   */
  async rewindToCommitted(): Promise<void> {
    const committed = await this.committedOffsets();
    const positions: PartitionOffset[] = [];
    const uncommitted: number[] = [];
    for (const partition of this.assignment) {
      const offset = committed.get(partition);
      if (offset !== undefined) positions.push({ partition, offset });
      else uncommitted.push(partition);
    }
    if (uncommitted.length > 0 && this.options.fromBeginning) {
      for (const p of await this.requireAdmin().partitionBounds(this.options.topic))
        if (uncommitted.includes(p.partition)) positions.push({ partition: p.partition, offset: p.low });
    }
    this.rewind(positions);
  }

  /** Reads a partition again from `offset` (used when a run could not be started). */
  rewind(positions: PartitionOffset[]): void {
    for (const { partition, offset } of positions) {
      this.buffer.dropPartition(partition);
      if (this.assignment.includes(partition)) this.requireConsumer().seek(partition, offset);
    }
  }

  /** Leaves the group, so Kafka hands this consumer's partitions to the other replicas. */
  async stop(): Promise<void> {
    this.retire('the consumer was closed');
    this.buffer.cancelWake();
    this.buffer.clear();
    await this.consumer?.stop();
    await this.admin?.close();
  }

  private requireConsumer(): GroupConsumer {
    if (!this.consumer) throw new Error('SensorConsumer used before start()');
    return this.consumer;
  }

  private requireAdmin(): KafkaAdmin {
    if (!this.admin) throw new Error('SensorConsumer used before start()');
    return this.admin;
  }
}
