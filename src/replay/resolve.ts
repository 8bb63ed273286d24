// Asks Kafka what `npm run replay` and `npm run reset` need: each partition's log bounds, the
// offsets Kafka's offsets-for-times gives for a timestamp (ListOffsets by timestamp, through
// the admin's offsetsForTime), and the group's committed offsets; the arithmetic
// over them is ./plan.ts.

import type { KafkaAdmin } from '../kafka/port';
import {
  resetTarget,
  resolveRange,
  type PartitionLog,
  type PartitionRange,
  type RangeBounds,
  type ResetSpec,
} from './plan';

/** One end of a replay: an offset, or a time (milliseconds since the epoch). */
export type Bound = { offset: string } | { timeMs: number };

export interface ReplayRequest {
  /** One partition, or every partition of the topic when absent. */
  partition?: number;
  from?: Bound;
  /** Included. */
  to?: Bound;
}

export function partitionLogs(admin: KafkaAdmin, topic: string): Promise<PartitionLog[]> {
  return admin.partitionBounds(topic);
}

/** The logs of the partitions asked for; a partition the topic does not have is an error. */
async function chosenLogs(admin: KafkaAdmin, topic: string, partition: number | undefined): Promise<PartitionLog[]> {
  const logs = await partitionLogs(admin, topic);
  if (partition === undefined) return logs;
  const log = logs.find((l) => l.partition === partition);
  if (!log) throw new Error(`Kafka topic "${topic}" has no partition ${partition} (it has ${logs.length})`);
  return [log];
}

/** The ranges a replay request covers, clamped to what the log holds, with notes on what was cut. */
export async function resolveReplayRanges(
  admin: KafkaAdmin,
  topic: string,
  request: ReplayRequest,
): Promise<{ ranges: PartitionRange[]; notes: string[] }> {
  const logs = await chosenLogs(admin, topic, request.partition);
  // An end given as a time: Kafka's answer for it (the `to` end: for one millisecond later, so
  // records stamped exactly at the end are included).
  const fromTime = request.from && 'timeMs' in request.from ? request.from.timeMs : undefined;
  const toTime = request.to && 'timeMs' in request.to ? request.to.timeMs : undefined;
  const fromOffsets = fromTime === undefined ? undefined : await admin.offsetsForTime(topic, fromTime);
  const untilOffsets = toTime === undefined ? undefined : await admin.offsetsForTime(topic, toTime + 1);
  const ranges: PartitionRange[] = [];
  const notes: string[] = [];
  for (const log of logs) {
    const bounds: RangeBounds = {
      from: request.from && 'offset' in request.from ? request.from.offset : fromOffsets?.get(log.partition),
      until:
        request.to && 'offset' in request.to
          ? (BigInt(request.to.offset) + 1n).toString()
          : untilOffsets?.get(log.partition),
    };
    const resolved = resolveRange(log, bounds);
    notes.push(...resolved.notes);
    if (resolved.range) ranges.push(resolved.range);
  }
  return { ranges, notes };
}

/** Where a reset moves each chosen partition, and where the group's committed offset is now. */
export interface ResetTarget {
  partition: number;
  /** The group's committed offset now; null when it has none. */
  current: string | null;
  target: string;
}

/** How a reset is asked for on the command line: ResetSpec before the time is looked up. */
export type ResetRequest =
  { kind: 'offset'; offset: string } | { kind: 'earliest' } | { kind: 'latest' } | { kind: 'time'; timeMs: number };

export async function resolveResetTargets(
  admin: KafkaAdmin,
  topic: string,
  groupId: string,
  request: ResetRequest,
  partition?: number,
): Promise<ResetTarget[]> {
  const logs = await chosenLogs(admin, topic, partition);
  const atTime = request.kind === 'time' ? await admin.offsetsForTime(topic, request.timeMs) : undefined;
  const committed = await admin.committedOffsets(groupId, topic);
  return logs.map((log) => {
    const spec: ResetSpec =
      request.kind === 'time' ? { kind: 'time', offset: atTime!.get(log.partition) ?? log.high } : request;
    return { partition: log.partition, current: committed.get(log.partition) ?? null, target: resetTarget(log, spec) };
  });
}
