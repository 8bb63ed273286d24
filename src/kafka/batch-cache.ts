// Records of batches the sensor's consumer handed out, kept in this worker's memory until their
// run has loaded them. With BATCH_PAYLOAD=offsets a run carries only its offset range, and
// process-batch looks its records up here first: when the run's activity lands on the worker that
// consumed the batch (always, with one worker process), the records never travel through Temporal
// and are never read twice. The cache is only a shortcut: anything it lacks is read back from
// Kafka, so dropping an entry costs a read, never a record.
//
// Its budget is in heap bytes (./record-weight.ts), its share of WORKER_MEMORY_BUDGET
// (src/workers/memory-plan.ts). Runs load batches in about the order they were cut, so beyond the
// budget the newest batch is the one not kept (it is needed last); only entries no run has loaded
// for STALE_AFTER_MS (their runs went to another worker, or were stopped) make way for it. The
// consume activity waits a little for room before it cuts more (waitForRoom), so that records
// wait in Kafka rather than be read twice; when no run here frees any within that wait, the
// oldest entries make way (makeRoom): this worker is not loading them, so they only take room.

import { compareOffsets, type Batch, type BatchMessage, type BatchRange } from '../batch';
import { recordsHeapBytes } from './record-weight';
import { Signal } from './signal';

/**
 * An entry no run has loaded for this long most likely never will be here. Short: in one worker a
 * batch waits seconds for its run, and where runs are slower than that (a slow sink) a read back
 * costs little beside them.
 */
export const STALE_AFTER_MS = 10_000;

interface Entry {
  batch: Batch;
  heapBytes: number;
  since: number;
}

export class BatchCache {
  /** Insertion order is age order. */
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly freed = new Signal();

  constructor(
    /** Heap bytes it may hold; 0 keeps nothing. */
    readonly maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Keeps a batch's records, unless they do not fit: stale entries make way first, then the newest
   * entry (this one) is the one left out.
   */
  put(batch: Batch): void {
    const key = keyOf(batch);
    this.remove(key);
    const heapBytes = heapBytesOf(batch);
    const staleBefore = this.now() - STALE_AFTER_MS;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes + heapBytes <= this.maxBytes || entry.since > staleBefore) break;
      this.remove(oldest);
    }
    if (this.bytes + heapBytes > this.maxBytes) return;
    this.entries.set(key, { batch, heapBytes, since: this.now() });
    this.bytes += heapBytes;
  }

  /**
   * Waits until `bytes` more would fit (at most the whole budget), or `ms` passes: the consume
   * activity's pause before it cuts batches that would not be kept. True when they fit.
   */
  async waitForRoom(bytes: number, ms: number): Promise<boolean> {
    if (this.maxBytes === 0) return true;
    const deadline = this.now() + ms;
    while (!this.fits(bytes) && this.now() < deadline) await this.freed.wait(deadline - this.now());
    return this.fits(bytes);
  }

  /** Drops the oldest entries until `bytes` more fit (at most the whole budget). */
  makeRoom(bytes: number): void {
    for (const [oldest] of this.entries) {
      if (this.fits(bytes)) break;
      this.remove(oldest);
    }
  }

  private fits(bytes: number): boolean {
    return this.bytes + Math.min(bytes, this.maxBytes) <= this.maxBytes;
  }

  /** The records of `range` when one cached batch covers all of it (a run may ask for a part of its batch). */
  get(range: BatchRange): BatchMessage[] | undefined {
    for (const { batch } of this.entries.values()) {
      if (
        batch.topic !== range.topic ||
        batch.partition !== range.partition ||
        compareOffsets(batch.firstOffset, range.firstOffset) > 0 ||
        compareOffsets(batch.lastOffset, range.lastOffset) < 0
      ) {
        continue;
      }
      if (batch.firstOffset === range.firstOffset && batch.lastOffset === range.lastOffset) return batch.messages;
      return batch.messages.filter(
        (m) => compareOffsets(m.offset, range.firstOffset) >= 0 && compareOffsets(m.offset, range.lastOffset) <= 0,
      );
    }
    return undefined;
  }

  /** Forgets the batch of exactly this range (its run has loaded it). */
  delete(range: BatchRange): void {
    this.remove(keyOf(range));
  }

  /** Batches kept and their heap bytes. */
  get size(): { batches: number; bytes: number } {
    return { batches: this.entries.size, bytes: this.bytes };
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.heapBytes;
    this.freed.notify();
  }
}

/** What a batch's records weigh on the heap (./record-weight.ts). */
export function heapBytesOf(batch: Pick<Batch, 'count' | 'bytes'>): number {
  return recordsHeapBytes(batch.count, batch.bytes);
}

function keyOf(r: BatchRange): string {
  return `${r.topic}\u0000${r.partition}\u0000${r.firstOffset}\u0000${r.lastOffset}`;
}
