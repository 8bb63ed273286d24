// Records of batches the sensor's consumer handed out, kept in this worker's memory until their
// run has loaded them. With BATCH_PAYLOAD=offsets a run carries only its offset range, and
// process-batch looks its records up here first: when the run's activity lands on the worker that
// consumed the batch (always, with one worker process), the records never travel through Temporal
// and are never read twice. The cache is only a shortcut: anything it lacks is read back from
// Kafka, so evicting an entry early costs a read, never a record.

import { compareOffsets, type Batch, type BatchMessage, type BatchRange } from '../batch';

export class BatchCache {
  /** Insertion order is age order: the first entry is the one evicted next. */
  private readonly entries = new Map<string, Batch>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Keeps a batch's records; the oldest entries go when the byte budget is exceeded. */
  put(batch: Batch): void {
    const key = keyOf(batch);
    this.remove(key);
    this.entries.set(key, batch);
    this.bytes += batch.bytes;
    for (const [oldest] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(oldest);
    }
  }

  /** The records of `range` when one cached batch covers all of it (a run may ask for a part of its batch). */
  get(range: BatchRange): BatchMessage[] | undefined {
    for (const batch of this.entries.values()) {
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

  get size(): { batches: number; bytes: number } {
    return { batches: this.entries.size, bytes: this.bytes };
  }

  private remove(key: string): void {
    const batch = this.entries.get(key);
    if (!batch) return;
    this.entries.delete(key);
    this.bytes -= batch.bytes;
  }
}

function keyOf(r: BatchRange): string {
  return `${r.topic}\u0000${r.partition}\u0000${r.firstOffset}\u0000${r.lastOffset}`;
}
