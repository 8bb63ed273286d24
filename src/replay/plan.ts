// Pure offset arithmetic for `npm run replay` and `npm run reset`: which offsets of a partition a
// request covers (by offsets or by Kafka's offsets-for-times answers), where a reset moves the
// group, and how a replayed range is cut into offset-range batches. No Kafka, no clock: the
// Replay workflow (src/workflows/replay.ts) imports the batch cutting, and test/unit/replay-plan.test.ts
// covers the edge cases (a time past the end, before the start, offsets outside the log).
//
// Neighbours: src/replay/resolve.ts asks Kafka for the inputs; scripts/replay.ts and
// scripts/reset.ts print what comes out.

import type { BatchRange } from '../batch';

/** What a partition's log holds: offsets low..high-1 (high is the log-end offset). */
export interface PartitionLog {
  partition: number;
  low: string;
  high: string;
}

/** Offsets first..last of one partition, both included. */
export interface PartitionRange {
  partition: number;
  first: string;
  last: string;
}

/** A range asked for, before it meets the log: either end may be open (the log's own end then). */
export interface RangeBounds {
  /** First offset wanted; absent means the log start. */
  from?: string;
  /** First offset not wanted (exclusive); absent means the log end. */
  until?: string;
}

export interface ResolvedRange {
  /** Absent when the log holds nothing of what was asked for. */
  range?: PartitionRange;
  /** What was cut off, for the person who asked (retention removed it, or it is not produced yet). */
  notes: string[];
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);
const min = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * The part of [from, until) the log holds. Offsets below the log start were removed by
 * retention and cannot be replayed; offsets at or past the log end are not produced yet.
 */
export function resolveRange(log: PartitionLog, bounds: RangeBounds): ResolvedRange {
  const low = BigInt(log.low);
  const high = BigInt(log.high);
  const from = bounds.from === undefined ? low : BigInt(bounds.from);
  const until = bounds.until === undefined ? high : BigInt(bounds.until);
  const notes: string[] = [];
  if (from < low && until > from) {
    notes.push(
      `partition ${log.partition}: offsets ${from}–${min(until, low) - 1n} are no longer in Kafka (retention)`,
    );
  }
  if (until > high && until > from) {
    notes.push(`partition ${log.partition}: offsets ${max(from, high)}–${until - 1n} are not produced yet`);
  }
  const first = max(from, low);
  const last = min(until, high) - 1n;
  if (first > last) return { notes };
  return { range: { partition: log.partition, first: first.toString(), last: last.toString() }, notes };
}

/** How many offsets a range spans. */
export function offsetsIn(range: PartitionRange): number {
  return Number(BigInt(range.last) - BigInt(range.first) + 1n);
}

/**
 * The batch a replay starts next for `range`, from offset `next` on: at most `maxBatchSize`
 * offsets (MAX_BATCH_SIZE), so a replay's runs are no larger than the live ones. Undefined once
 * `next` is past the range. Its count is the offsets spanned (compaction or transaction markers
 * leave gaps: the run loads what is there) and its bytes are unknown (0) until the run reads it.
 */
export function nextReplayBatch(
  topic: string,
  range: PartitionRange,
  next: string,
  maxBatchSize: number,
): BatchRange | undefined {
  const first = BigInt(next);
  const last = BigInt(range.last);
  if (first > last) return undefined;
  const end = min(last, first + BigInt(maxBatchSize) - 1n);
  return {
    topic,
    partition: range.partition,
    firstOffset: first.toString(),
    lastOffset: end.toString(),
    count: Number(end - first + 1n),
    bytes: 0,
  };
}

/** Where `npm run reset` moves a partition's committed offset. */
export type ResetSpec =
  | { kind: 'offset'; offset: string }
  | { kind: 'earliest' }
  | { kind: 'latest' }
  /** `offset` is Kafka's offsets-for-times answer for the time (the log end when no record is that late). */
  | { kind: 'time'; offset: string };

/**
 * The new committed offset of a partition. As `kafka-consumer-groups --reset-offsets` does, an
 * offset outside the log is moved to its nearest end: below the start to the start, past the end
 * to the end.
 */
export function resetTarget(log: PartitionLog, spec: ResetSpec): string {
  const low = BigInt(log.low);
  const high = BigInt(log.high);
  switch (spec.kind) {
    case 'earliest':
      return log.low;
    case 'latest':
      return log.high;
    case 'offset':
    case 'time':
      return min(high, max(low, BigInt(spec.offset))).toString();
  }
}
