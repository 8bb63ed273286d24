// What a sensor consumer commits, and when a topic's offsets went back, judged from the group's
// committed offsets, the partitions the consumer holds and the offsets its sensor knows it
// committed. No broker and no clock: the consumer (./sensor-consumer.ts) fetches the facts.

import { compareOffsets, type PartitionOffset } from '../batch';

export interface CommitPlan {
  /** Offsets to send to Kafka: ahead of the group's. */
  send: PartitionOffset[];
  /** Offsets the sensor need not send again, once `send` is committed. */
  settled: PartitionOffset[];
}

/**
 * Of the offsets a sensor wants committed, which to send, and which are settled once they are:
 * - only those of partitions this consumer holds now. Kafka accepts a commit for any partition from
 *   any member of the current generation, and a sensor's pending commit can outlive its hold on
 *   the partition (refused during a rebalance, or its worker died first) while the next owner
 *   commits further; sent anyway, it would move the group's offset back (lag that never drains,
 *   and everything above it read again). Kept, it is sent once the partition comes back;
 * - of those, only the ones ahead of the group's committed offset (the others are covered);
 * - none at all when the group lost an offset the sensor knows it had (`known`): the topic was
 *   recreated, and committing the old topic's offset would skip the new one's records. The next
 *   consume-batch call that checks the topic (findResets) says so.
 */
export function planCommit(
  offsets: PartitionOffset[],
  held: number[],
  committed: Map<number, string>,
  known: Record<string, string>,
): CommitPlan {
  const mine = offsets.filter((o) => held.includes(o.partition));
  const lost = (p: number) => !committed.has(p) && known[p] !== undefined && known[p] !== '0';
  if (mine.some((o) => lost(o.partition))) return { send: [], settled: [] };
  const send = mine.filter((o) => {
    const current = committed.get(o.partition);
    return current === undefined || compareOffsets(o.offset, current) > 0;
  });
  return { send, settled: mine };
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
 * Of the held partitions the sensor knows a committed offset for, those whose offsets went back:
 * the group has no committed offset any more, or the log now ends below the known one. Kafka does
 * neither by itself: the topic was deleted (which drops the group's offsets for it) and created
 * again, so its new records reuse offsets of records already loaded. A deliberate reset of the
 * group's offsets (a replay) leaves an offset in place and the log as it was, and passes.
 */
export function findResets(
  held: number[],
  known: Record<string, string>,
  committed: Map<number, string>,
  logEnds: Map<number, string>,
): TopicReset[] {
  const resets: TopicReset[] = [];
  for (const partition of knownPartitions(held, known)) {
    const knownOffset = known[partition]!;
    const now = committed.get(partition);
    const logEnd = logEnds.get(partition) ?? '0';
    if (now === undefined || compareOffsets(logEnd, knownOffset) < 0) {
      resets.push({ partition, known: knownOffset, committed: now, logEnd });
    }
  }
  return resets;
}

/** The held partitions for which the sensor knows a committed offset past the start. */
export function knownPartitions(held: number[], known: Record<string, string>): number[] {
  return held.filter((p) => known[p] !== undefined && known[p] !== '0');
}
