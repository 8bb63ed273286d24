// Cuts buffered records into batches: each from one partition, consecutive, at most MAX_BATCH_SIZE
// records and MAX_BATCH_BYTES bytes (one larger record forms a batch of its own). Pure logic, so it
// is unit-tested without a broker; src/kafka/sensor-consumer.ts owns the buffer it reads.

import type { Batch, BatchMessage } from '../batch';

export interface BufferedRecord {
  message: BatchMessage;
  bytes: number;
  /** When the buffer took it (ms, its clock); set by RecordBuffer.push. */
  arrivedAt?: number;
}

export interface BatchLimits {
  maxMessages: number;
  maxBytes: number;
  /** Most batches to return (the sensor's free in-flight slots). */
  maxBatches: number;
  /** Most bytes across all returned batches: they travel in one activity result. */
  maxTotalBytes: number;
}

/**
 * Takes batches from the front of each partition's queue, visiting partitions in turn so that a
 * busy partition cannot starve the others. Taken records are removed from `queues`.
 */
export function planBatches(topic: string, queues: Map<number, BufferedRecord[]>, limits: BatchLimits): Batch[] {
  const batches: Batch[] = [];
  let totalBytes = 0;
  let progress = true;
  while (progress && batches.length < limits.maxBatches) {
    progress = false;
    for (const [partition, queue] of [...queues]) {
      if (batches.length >= limits.maxBatches) break;
      const count = countFitting(queue, limits, batches.length === 0, limits.maxTotalBytes - totalBytes);
      if (count === 0) continue;
      const taken = queue.splice(0, count);
      const bytes = taken.reduce((sum, r) => sum + r.bytes, 0);
      totalBytes += bytes;
      batches.push({
        topic,
        partition,
        firstOffset: taken[0]!.message.offset,
        lastOffset: taken[taken.length - 1]!.message.offset,
        count: taken.length,
        bytes,
        messages: taken.map((r) => r.message),
      });
      // Served partitions go to the back, so the next call starts with the ones served least lately.
      queues.delete(partition);
      queues.set(partition, queue);
      progress = true;
    }
  }
  return batches;
}

function countFitting(queue: BufferedRecord[], limits: BatchLimits, isFirstBatch: boolean, room: number): number {
  const first = queue[0];
  if (first === undefined) return 0;
  // A record larger than the cap forms a batch of its own, so it can never block its partition.
  if (first.bytes > limits.maxBytes) return isFirstBatch || first.bytes <= room ? 1 : 0;
  const byteLimit = isFirstBatch ? limits.maxBytes : Math.min(limits.maxBytes, room);
  let bytes = 0;
  let count = 0;
  for (const record of queue) {
    if (count >= limits.maxMessages || bytes + record.bytes > byteLimit) break;
    bytes += record.bytes;
    count++;
  }
  return count;
}
