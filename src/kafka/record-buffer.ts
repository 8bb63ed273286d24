// The sensor consumer's bounded buffer, with no broker in it: a client's fetch loop pushes records
// and waits while it is full (so records beyond it wait in Kafka as lag); the consume-batch call
// waits for a full batch or for the oldest record's wait to run out, then cuts batches. Pure apart
// from timers, so it is unit-tested without Kafka (test/unit/record-buffer.test.ts).
//
// Its bytes are heap bytes (./record-weight.ts), out of the worker's memory budget: each buffer has
// a share of its own, and holds more only by drawing on the pool all buffers of the process share
// (./byte-pool.ts). A record is checked for before it is pushed (isFull), so a buffer passes its
// bound by one record at most.

import { compareOffsets, type Batch } from '../batch';
import { planBatches, type BatchLimits, type BufferedRecord } from './batch-planner';
import type { BytePool } from './byte-pool';
import { recordHeapBytes, recordsHeapBytes } from './record-weight';
import { Signal } from './signal';

export interface BufferLimits {
  /** Most records held; beyond it the fetch loop waits. */
  messages: number;
  /** Heap bytes this buffer holds on its own share; beyond it the fetch loop waits unless `pool` has room. */
  bytes: number;
  /** Shared by the buffers of this process: heap bytes held beyond `bytes` are drawn from it. */
  pool?: BytePool;
}

interface PartitionTally {
  records: number;
  bytes: number;
}

export class RecordBuffer {
  private readonly queues = new Map<number, BufferedRecord[]>();
  private readonly tallies = new Map<number, PartitionTally>();
  private buffered = 0;
  /** Heap bytes of the records held (see ./record-weight.ts). */
  private heldBytes = 0;
  private readonly dataArrived = new Signal();
  private readonly spaceFreed = new Signal();
  /** Called once when the next record is buffered (see wakeOnNextRecord()). */
  private wake: (() => void) | undefined;

  constructor(
    private readonly limits: BufferLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.buffered;
  }

  /** Heap bytes held now, own share and pool together. */
  get heapBytes(): number {
    return this.heldBytes;
  }

  /** True when the next record must wait: the record cap is reached, or the own share is used and the pool is too. */
  isFull(): boolean {
    if (this.buffered >= this.limits.messages) return true;
    if (this.heldBytes < this.limits.bytes) return false;
    const pool = this.limits.pool;
    return !pool || pool.inUse >= pool.limit;
  }

  /**
   * Waits until records are taken or dropped here or in another buffer of the pool, or `ms` passes:
   * for the fetch loop while full.
   */
  waitForSpace(ms: number): Promise<void> {
    const pool = this.limits.pool;
    return pool ? Promise.race([this.spaceFreed.wait(ms), pool.waitForRoom(ms)]) : this.spaceFreed.wait(ms);
  }

  push(partition: number, record: BufferedRecord): void {
    let queue = this.queues.get(partition);
    if (!queue) this.queues.set(partition, (queue = []));
    record.arrivedAt = this.now();
    queue.push(record);
    const tally = this.tally(partition);
    tally.records++;
    tally.bytes += record.bytes;
    this.buffered++;
    this.hold(recordHeapBytes(record.bytes));
    this.dataArrived.notify();
    this.fireWake();
  }

  /**
   * Calls `wake` once, as soon as a record is buffered (at once if one already is), unless
   * cancelWake() comes first. A sensor that found nothing waits between ticks; this lets it start
   * its next tick when records arrive instead of when its timer fires.
   */
  wakeOnNextRecord(wake: () => void): void {
    this.wake = wake;
    if (this.buffered > 0) this.fireWake();
  }

  cancelWake(): void {
    this.wake = undefined;
  }

  private fireWake(): void {
    const wake = this.wake;
    if (!wake) return;
    this.wake = undefined;
    // Out of the fetch loop's call stack: waking must never hold up (or throw into) the client.
    setImmediate(wake);
  }

  /**
   * Waits until a full batch is buffered, the oldest buffered record has waited `maxWaitMs` (or,
   * with nothing buffered, `maxWaitMs` from now), or `stop()` says so. Counting from the oldest
   * record rather than from the call keeps the sensor's own turn (starting runs, the next call)
   * out of a record's wait.
   */
  async waitForBatch(limits: BatchLimits, maxWaitMs: number, stop: () => boolean): Promise<void> {
    const deadline = (this.oldestArrival() ?? this.now()) + maxWaitMs;
    while (!stop() && !this.hasFullBatch(limits) && this.now() < deadline) {
      await this.dataArrived.wait(deadline - this.now());
    }
  }

  /** Wakes a waitForBatch() so that it checks its `stop` again. */
  interrupt(): void {
    this.dataArrived.notify();
  }

  /** Cuts batches (see planBatches) and removes their records. */
  cut(topic: string, limits: BatchLimits): Batch[] {
    const batches = planBatches(topic, this.queues, limits);
    for (const b of batches) this.forget(b.partition, b.messages.length, b.bytes);
    if (batches.length > 0) this.spaceFreed.notify();
    return batches;
  }

  private hasFullBatch(limits: BatchLimits): boolean {
    if (this.isFull()) return true;
    for (const tally of this.tallies.values()) {
      if (tally.records >= limits.maxMessages || tally.bytes >= limits.maxBytes) return true;
    }
    return false;
  }

  /** Drops buffered records at or below the given offsets: they are in runs already started. */
  dropThrough(skipThrough: Record<string, string>): void {
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

  /** Drops everything buffered for a partition (it is read again from another offset). */
  dropPartition(partition: number): void {
    const queue = this.queues.get(partition);
    if (queue) {
      this.forget(
        partition,
        queue.length,
        queue.reduce((sum, r) => sum + r.bytes, 0),
      );
    }
    this.queues.delete(partition);
    this.spaceFreed.notify();
  }

  clear(): void {
    this.queues.clear();
    this.tallies.clear();
    this.buffered = 0;
    this.release(this.heldBytes);
    this.spaceFreed.notify();
  }

  private tally(partition: number): PartitionTally {
    let tally = this.tallies.get(partition);
    if (!tally) this.tallies.set(partition, (tally = { records: 0, bytes: 0 }));
    return tally;
  }

  private forget(partition: number, records: number, bytes: number): void {
    const tally = this.tally(partition);
    tally.records -= records;
    tally.bytes -= bytes;
    this.buffered -= records;
    this.release(recordsHeapBytes(records, bytes));
  }

  /**
   * When the oldest record now buffered arrived: the head of some partition's queue (each queue is
   * in arrival order). Exact, not the time the buffer last became non-empty: in a backlog the buffer
   * never empties, and that time would soon make every call cut at once whatever had been
   * refetched, in batches far smaller than MAX_BATCH_SIZE (more runs, more round trips).
   */
  private oldestArrival(): number | undefined {
    let oldest: number | undefined;
    for (const queue of this.queues.values()) {
      const arrived = queue[0]?.arrivedAt;
      if (arrived !== undefined && (oldest === undefined || arrived < oldest)) oldest = arrived;
    }
    return oldest;
  }

  /** Counts `bytes` more held; what passes the own share is drawn from the pool. */
  private hold(bytes: number): void {
    const before = this.overShare();
    this.heldBytes += bytes;
    // Taken even past the pool's limit: isFull() was asked before this record came.
    this.limits.pool?.take(this.overShare() - before, true);
  }

  /** Counts `bytes` fewer held; what the pool lent for them goes back to it. */
  private release(bytes: number): void {
    const before = this.overShare();
    this.heldBytes -= bytes;
    this.limits.pool?.give(before - this.overShare());
  }

  private overShare(): number {
    return this.limits.pool ? Math.max(0, this.heldBytes - this.limits.bytes) : 0;
  }
}
