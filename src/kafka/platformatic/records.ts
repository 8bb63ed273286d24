// From the record batches a fetch returns to the port's records (../port.ts KafkaRecord), and from
// the port's outgoing records to what the library writes. The library hands over whole batches as
// they are on the broker's disk: a batch may start before the offset asked for, transaction
// markers come as control batches, offsets and timestamps are bigints and headers are pairs of
// Buffers. Converted here, at the edge, so the rest of the project sees one shape from every client.
//
// Neighbours: ./group-consumer.ts and ./range-reader.ts read with recordsFrom(); ./publisher.ts
// writes with toMessage().

import type { MessageToProduce, RecordsBatch } from '@platformatic/kafka';
import type { KafkaRecord, OutgoingRecord } from '../port';

/** Batch attribute bits (Kafka's record batch format v2). */
const TIMESTAMP_IS_LOG_APPEND_TIME = 1 << 3;
const IS_CONTROL_BATCH = 1 << 5;

export interface FetchedRun {
  /** Records with first <= offset <= last, in offset order. */
  records: KafkaRecord[];
  /**
   * The offset to fetch from after these batches: past their last offset, transaction markers and
   * gaps included, or `first` when there were none.
   */
  next: bigint;
}

/** An aborted transaction a fetch answer lists: its producer's batches from `firstOffset` on, up to its marker. */
export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

/**
 * The records of `batches` (one partition's, in order) from offset `first` up to `last`, without
 * those of the aborted transactions the answer listed. The library drops an aborted transaction's
 * batches only when its marker is in the same answer; one larger than a fetch (or cut by maxBytes)
 * would come through. The broker lists only transactions it has aborted, so a listed one whose
 * marker is not in this answer is aborted up to the answer's end.
 */
export function recordsFrom(
  batches: RecordsBatch[] | undefined,
  first: bigint,
  last?: bigint,
  aborted: AbortedTransaction[] = [],
): FetchedRun {
  const records: KafkaRecord[] = [];
  let next = first;
  // Per producer, the first offsets of its listed aborted transactions not reached yet (ascending).
  const pending = new Map<bigint, bigint[]>();
  for (const a of [...aborted].sort((x, y) => (x.firstOffset < y.firstOffset ? -1 : 1)))
    pending.set(a.producerId, [...(pending.get(a.producerId) ?? []), a.firstOffset]);
  /** Producers inside an aborted transaction at the batch being read. */
  const inAborted = new Set<bigint>();
  for (const batch of batches ?? []) {
    const batchEnd = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    if (batchEnd + 1n > next) next = batchEnd + 1n;
    const starts = pending.get(batch.producerId);
    while (starts?.length && starts[0]! <= batch.firstOffset) {
      starts.shift();
      inAborted.add(batch.producerId);
    }
    if (batch.attributes & IS_CONTROL_BATCH) {
      // A marker ends its producer's transaction, aborted or committed.
      inAborted.delete(batch.producerId);
      continue;
    }
    if (inAborted.has(batch.producerId)) continue;
    const logAppendTime = (batch.attributes & TIMESTAMP_IS_LOG_APPEND_TIME) !== 0;
    for (const record of batch.records) {
      const offset = batch.firstOffset + BigInt(record.offsetDelta);
      // Before `first`: the batch began earlier. Past `last`: beyond the range asked for.
      if (offset < first || (last !== undefined && offset > last)) continue;
      const timestamp = logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + record.timestampDelta;
      records.push({
        offset: offset.toString(),
        key: record.key ?? null,
        value: record.value ?? null,
        headers: headersOf(record.headers),
        timestamp: timestamp.toString(),
      });
    }
  }
  return { records, next };
}

/** As kafkajs gives them: by name (UTF-8), a name that repeats as an array of its values. */
function headersOf(pairs: [Buffer | null, Buffer | null][]): KafkaRecord['headers'] {
  const headers: NonNullable<KafkaRecord['headers']> = {};
  for (const [rawName, value] of pairs) {
    if (!rawName) continue;
    const name = rawName.toString('utf8');
    const before = headers[name];
    const current = value ?? undefined;
    if (before === undefined) headers[name] = current;
    else headers[name] = [...(Array.isArray(before) ? before : [before]), ...(current ? [current] : [])];
  }
  return headers;
}

/**
 * The library's message for a record: Buffers everywhere (it writes keys, values and header names
 * as given, and an idempotent producer stalls on a string header name), the timestamp a bigint.
 */
export function toMessage(topic: string, record: OutgoingRecord): MessageToProduce<Buffer, Buffer, Buffer, Buffer> {
  const headers = new Map<Buffer, Buffer>();
  for (const [name, value] of Object.entries(record.headers ?? {})) headers.set(Buffer.from(name), bytes(value)!);
  return {
    topic,
    ...(record.partition !== undefined ? { partition: record.partition } : {}),
    // Absent rather than null: the library reads a missing key or value as Kafka's null.
    key: bytes(record.key),
    value: bytes(record.value),
    headers,
    ...(record.timestamp !== undefined ? { timestamp: BigInt(record.timestamp) } : {}),
  };
}

function bytes(data: Buffer | string | null | undefined): Buffer | undefined {
  if (data === null || data === undefined) return undefined;
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}
