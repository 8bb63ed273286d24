// One long-lived kafkajs consumer per sensor replica, turned from push into pull. kafkajs only
// pushes records (eachBatch); the sensor wants "up to N records or B bytes, waiting at most T". A
// bounded buffer sits between the two: the fetch loop fills it and blocks (heartbeating) when it is
// full, so records beyond it wait in Kafka as lag; take() cuts batches from it.
//
// Offsets are never committed automatically: the sensor commits a partition's offset only after the
// runs holding its records have started (see src/workflows/sensor.ts).
//
// It joins the group once, when it starts; kafkajs rejoins by itself after a rebalance, a lapsed
// session or a crash, and each such rejoin passes ./rejoin-gate.ts first: a consumer whose sensor
// has moved, or that was closed, leaves instead (onRetired tells the registry).

import { PartitionAssigners, type Admin, type Consumer, type EachBatchPayload, type Kafka } from 'kafkajs';
import type { Logger } from '../logger';
import { messageBytes, type Batch, type PartitionOffset, compareOffsets } from '../batch';
import { planBatches, type BatchLimits, type BufferedRecord } from './batch-planner';
import { toBatchMessage } from './encoding';
import { gatedAssigner, reasonNotToRejoin, RejoinRefusedError } from './rejoin-gate';
import { Signal } from './signal';

/** Kafka drops a member it has not heard from for this long; kafkajs heartbeats every 3 s. */
const SESSION_TIMEOUT_MS = 30_000;

export interface SensorConsumerOptions {
  topic: string;
  groupId: string;
  fromBeginning: boolean;
  /** Most records held in memory; beyond it the fetch loop waits. */
  bufferMessages: number;
  /** Most bytes held in memory; beyond it the fetch loop waits. */
  bufferBytes: number;
  logger?: Logger;
  /**
   * Called once when the consumer refused to rejoin its group (see ./rejoin-gate.ts), with the
   * reason; it is out of the group and kafkajs has given up on it, so its owner closes it.
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

/** A partition whose offsets went back: its topic was deleted and created again. */
export interface TopicReset {
  partition: number;
  /** The highest offset the sensor knew the group had committed. */
  known: string;
  /** The group's committed offset now; absent when it has none (Kafka drops a deleted topic's offsets). */
  committed?: string;
  /** The partition's log-end offset now. */
  logEnd: string;
}

/**
 * The consumer stopped for good (kafkajs gave up restarting it); the sensor must claim a new one.
 * Private: the sensor retries any failure of its consume call alike; the name is for the reader.
 */
class ConsumerFailedError extends Error {
  override readonly name = 'ConsumerFailedError';
}

interface PartitionTally {
  records: number;
  bytes: number;
}

export class SensorConsumer {
  private readonly queues = new Map<number, BufferedRecord[]>();
  private readonly tallies = new Map<number, PartitionTally>();
  private buffered = 0;
  /** When the oldest record now buffered arrived (undefined while the buffer is empty). */
  private bufferedSince: number | undefined;
  private bufferedBytes = 0;
  private readonly dataArrived = new Signal();
  private readonly spaceFreed = new Signal();
  private assignment: number[] = [];
  private failure: Error | undefined;
  private consumer: Consumer | undefined;
  /** Reads the group's committed offsets, so a commit never moves them back (see commit()). */
  private admin: Admin | undefined;
  /** Last time the sensor used this consumer; an idle one is closed (see ConsumerRegistry). */
  lastUsedAt = Date.now();
  /** How long the sensor asked to keep this consumer without a call (see keepFor()). */
  private leaseMs = Infinity;
  /** Last heartbeat or join the coordinator accepted: the member is alive for a session from then. */
  private lastMembershipAt: number | undefined;
  /** Closed, or retired by the rejoin gate: it never joins the group again. */
  private closedBecause: string | undefined;
  /** The call running now (see exclusive()); later calls wait for it. */
  private current: Promise<unknown> = Promise.resolve();
  /** Called once when the next record is buffered (see wakeOnNextRecord()). */
  private wake: (() => void) | undefined;

  constructor(
    private readonly kafka: Kafka,
    readonly options: SensorConsumerOptions,
  ) {}

  async start(): Promise<void> {
    const { topic, groupId, fromBeginning } = this.options;
    const consumer = this.kafka.consumer({
      groupId,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: 3_000,
      partitionAssigners: [gatedAssigner(PartitionAssigners.roundRobin, () => this.checkRejoin())],
      // kafkajs restarts a crashed consumer on a timer, even when the crash came from disconnect()
      // itself (a broker away at shutdown): the restart then outlived the close, kept the process
      // running after `worker stopped cleanly` and could rejoin the group. A closed one stays down.
      retry: { retries: 5, restartOnFailure: async () => this.closedBecause === undefined },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.lastMembershipAt = Date.now();
      // After a rebalance kafkajs fetches again from the committed offsets; what the buffer holds
      // would be delivered twice, and may belong to partitions this member no longer owns.
      this.clearBuffer();
      this.assignment = [...(event.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
    });
    consumer.on(consumer.events.HEARTBEAT, () => void (this.lastMembershipAt = Date.now()));
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) {
        this.failure = event.payload.error;
        this.dataArrived.notify();
      }
    });
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.fill(payload),
    });
  }

  /** kafkajs's eachBatch: moves records into the buffer, waiting while it is full. */
  private async fill({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const live = () => isRunning() && !isStale();
    for (const kafkaMessage of batch.messages) {
      while (this.isFull()) {
        if (!live()) return;
        await this.spaceFreed.wait(1_000);
        // Keeps the group membership alive while the sensor is not taking records.
        await heartbeat();
      }
      if (!live()) return;
      const message = toBatchMessage(kafkaMessage);
      this.push(batch.partition, { message, bytes: messageBytes(message) });
      resolveOffset(kafkaMessage.offset);
    }
    await heartbeat();
  }

  private push(partition: number, record: BufferedRecord): void {
    let queue = this.queues.get(partition);
    if (!queue) this.queues.set(partition, (queue = []));
    queue.push(record);
    const tally = this.tally(partition);
    tally.records++;
    tally.bytes += record.bytes;
    if (this.buffered++ === 0) this.bufferedSince = Date.now();
    this.bufferedBytes += record.bytes;
    this.dataArrived.notify();
    this.fireWake();
  }

  /**
   * Calls `wake` once, as soon as a record is buffered (at once if one already is), unless a take()
   * or stop() comes first. A sensor that found nothing waits between ticks; this lets it start its
   * next tick when records arrive instead of when its timer fires.
   */
  wakeOnNextRecord(wake: () => void): void {
    this.wake = wake;
    if (this.buffered > 0) this.fireWake();
  }

  private fireWake(): void {
    const wake = this.wake;
    if (!wake) return;
    this.wake = undefined;
    // Out of the fetch loop's call stack: waking must never hold up (or throw into) kafkajs.
    setImmediate(wake);
  }

  private tally(partition: number): PartitionTally {
    let tally = this.tallies.get(partition);
    if (!tally) this.tallies.set(partition, (tally = { records: 0, bytes: 0 }));
    return tally;
  }

  private isFull(): boolean {
    return this.buffered >= this.options.bufferMessages || this.bufferedBytes >= this.options.bufferBytes;
  }

  /** True once kafkajs has given up on this consumer; the registry then replaces it. */
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
   * Marks the consumer closed at once, before stop() (which waits for kafkajs) has begun: from
   * here on no join of kafkajs's gets past the gate. The registry does this to every idle consumer
   * before stopping any of them, so none rejoins while another is being stopped.
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
      // Out of kafkajs's call stack: the owner's close waits for kafkajs to wind down.
      setImmediate(() => this.options.onRetired?.(reason));
    }
    throw new RejoinRefusedError(reason);
  }

  /**
   * Waits until a full batch is buffered or the oldest buffered record has waited `maxWaitMs` (see
   * TakeRequest), then cuts batches. Counting from the oldest record rather than from the call
   * keeps the sensor's own turn (starting runs, the next call) out of a record's wait.
   */
  async take(request: TakeRequest): Promise<TakeResult> {
    this.lastUsedAt = Date.now();
    // The sensor is taking records: it is not waiting to be woken.
    this.wake = undefined;
    this.dropThrough(request.skipThrough);
    const deadline = (this.bufferedSince ?? Date.now()) + request.maxWaitMs;
    while (!this.failure && !this.hasFullBatch(request) && Date.now() < deadline) {
      await this.dataArrived.wait(deadline - Date.now());
    }
    if (this.failure) throw new ConsumerFailedError(`Kafka consumer stopped: ${this.failure.message}`);
    const batches = planBatches(this.options.topic, this.queues, request);
    for (const b of batches) this.forget(b.partition, b.messages.length, b.bytes);
    if (batches.length > 0) this.spaceFreed.notify();
    this.lastUsedAt = Date.now();
    return { batches, assignment: this.assignment };
  }

  private hasFullBatch(limits: BatchLimits): boolean {
    if (this.isFull()) return true;
    for (const tally of this.tallies.values()) {
      if (tally.records >= limits.maxMessages || tally.bytes >= limits.maxBytes) return true;
    }
    return false;
  }

  /** Drops buffered records at or below the given offsets: they are in runs already started. */
  private dropThrough(skipThrough: Record<string, string>): void {
    for (const [partitionText, through] of Object.entries(skipThrough)) {
      const partition = Number(partitionText);
      const queue = this.queues.get(partition);
      if (!queue) continue;
      let n = 0;
      let bytes = 0;
      while (n < queue.length && compareOffsets(queue[n]!.message.offset, through) <= 0) bytes += queue[n++]!.bytes;
      if (n === 0) continue;
      queue.splice(0, n);
      this.forget(partition, n, bytes);
      this.spaceFreed.notify();
    }
  }

  private forget(partition: number, records: number, bytes: number): void {
    const tally = this.tally(partition);
    tally.records -= records;
    tally.bytes -= bytes;
    this.buffered -= records;
    this.bufferedBytes -= bytes;
    // Leftovers keep the oldest arrival time: they have waited at least that long.
    if (this.buffered === 0) this.bufferedSince = undefined;
  }

  private clearBuffer(): void {
    this.queues.clear();
    this.tallies.clear();
    this.buffered = 0;
    this.bufferedBytes = 0;
    this.bufferedSince = undefined;
    this.spaceFreed.notify();
  }

  /**
   * Commits the next offsets to read, and returns those the sensor need not send again: committed
   * now, or already covered by the group's committed offset. The others stay pending in the sensor:
   * - of a partition this consumer does not hold now. Kafka accepts a commit for any partition from
   *   any member of the current generation, and a sensor's pending commit can outlive its hold on
   *   the partition (refused during a rebalance, or its worker died first) while the next owner
   *   commits further; sent anyway, it would move the group's offset back (lag that never drains,
   *   and everything above it read again). Kept, it is sent once the partition comes back, if it
   *   is still ahead then;
   * - refused, e.g. during a rebalance: the sensor retries with its next call;
   * - all of them, when the group lost an offset the sensor knew it had (`known`: the topic was
   *   recreated); the next consume-batch call that checks the topic says so.
   */
  async commit(offsets: PartitionOffset[], known: Record<string, string> = {}): Promise<PartitionOffset[]> {
    this.lastUsedAt = Date.now();
    const held = offsets.filter((o) => this.assignment.includes(o.partition));
    if (held.length === 0) return [];
    const { topic, groupId } = this.options;
    try {
      const committed = await this.committedOffsets();
      // The group lost an offset the sensor knows it had: the topic was recreated (see
      // findResetPartitions). Committing the old topic's offset would skip the new one's records.
      const lost = (p: number) => !committed.has(p) && known[p] !== undefined && known[p] !== '0';
      if (held.some((o) => lost(o.partition))) return [];
      const ahead = held.filter((o) => {
        const current = committed.get(o.partition);
        return current === undefined || compareOffsets(o.offset, current) > 0;
      });
      if (ahead.length > 0) {
        await this.requireConsumer().commitOffsets(
          ahead.map((o) => ({ topic, partition: o.partition, offset: o.offset })),
        );
      }
      return held;
    } catch (err) {
      this.options.logger?.warn('offset commit refused; it will be retried', {
        group: groupId,
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
    const { topic, groupId } = this.options;
    await this.requireConsumer().commitOffsets(held.map((t) => ({ topic, partition: t.partition, offset: t.offset })));
    this.rewind(held);
    this.options.logger?.info('consumer group offsets reset', { group: groupId, topic, offsets: held });
    return held;
  }

  /** Partitions this consumer holds now. */
  get heldPartitions(): number[] {
    return [...this.assignment];
  }

  /**
   * Of the held partitions the sensor knows a committed offset for, those whose offsets went back:
   * the group has no committed offset any more, or the log now ends below the known one. Kafka does
   * neither by itself: the topic was deleted (which drops the group's offsets for it) and created
   * again, so its new records reuse offsets of records already loaded. A deliberate reset of the
   * group's offsets (a replay) leaves an offset in place and the log as it was, and passes.
   */
  async findResetPartitions(known: Record<string, string>): Promise<TopicReset[]> {
    const held = this.assignment.filter((p) => known[p] !== undefined && known[p] !== '0');
    if (held.length === 0) return [];
    const committed = await this.committedOffsets();
    const logEnds = new Map(
      (await this.requireAdmin().fetchTopicOffsets(this.options.topic)).map((p) => [p.partition, p.high]),
    );
    const resets: TopicReset[] = [];
    for (const partition of held) {
      const knownOffset = known[partition]!;
      const now = committed.get(partition);
      const logEnd = logEnds.get(partition) ?? '0';
      if (now === undefined || compareOffsets(logEnd, knownOffset) < 0) {
        resets.push({ partition, known: knownOffset, committed: now, logEnd });
      }
    }
    return resets;
  }

  /** The group's committed offset per partition (partitions with none are absent). */
  private async committedOffsets(): Promise<Map<number, string>> {
    const { topic, groupId } = this.options;
    const [forTopic] = await this.requireAdmin().fetchOffsets({ groupId, topics: [topic] });
    const out = new Map<number, string>();
    for (const p of forTopic?.partitions ?? []) if (p.offset !== '-1') out.set(p.partition, p.offset);
    return out;
  }

  /**
   * Runs the sensor's calls one at a time. A call whose activity already timed out in Temporal may
   * still be running here (e.g. a commit waiting out a broker restart); the call that follows,
   * such as the rewind of a new claim, must see what it took from the buffer.
   */
  exclusive<T>(call: () => Promise<T>): Promise<T> {
    const result = this.current.then(call, call);
    this.current = result.catch(() => undefined);
    return result;
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
      const low = await this.requireAdmin().fetchTopicOffsets(this.options.topic);
      for (const p of low)
        if (uncommitted.includes(p.partition)) positions.push({ partition: p.partition, offset: p.low });
    }
    this.rewind(positions);
  }

  /** Reads a partition again from `offset` (used when a run could not be started). */
  rewind(positions: PartitionOffset[]): void {
    for (const { partition, offset } of positions) {
      const queue = this.queues.get(partition);
      if (queue)
        this.forget(
          partition,
          queue.length,
          queue.reduce((s, r) => s + r.bytes, 0),
        );
      this.queues.delete(partition);
      if (this.assignment.includes(partition))
        this.requireConsumer().seek({ topic: this.options.topic, partition, offset });
    }
    this.spaceFreed.notify();
  }

  /** Leaves the group, so Kafka hands this consumer's partitions to the other replicas. */
  async stop(): Promise<void> {
    this.retire('the consumer was closed');
    this.wake = undefined;
    this.clearBuffer();
    await this.consumer?.disconnect();
    await this.admin?.disconnect();
  }

  private requireConsumer(): Consumer {
    if (!this.consumer) throw new Error('SensorConsumer used before start()');
    return this.consumer;
  }

  private requireAdmin(): Admin {
    if (!this.admin) throw new Error('SensorConsumer used before start()');
    return this.admin;
  }
}
