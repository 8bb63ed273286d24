// What the sensor commits, what it reads again and what it skips, as runs start or fail to start
// and as the consumer settles commits. The rule behind all of it (at-least-once into runs): a
// partition's offset is committed only once the runs holding every record below it have started.
// Each function returns a new state and leaves its input as it was. Neighbours: ./state.ts (the
// state), ./reset.ts (what a reset of the group's offsets drops), ../sensor.ts (sends the
// commits and rewinds with the next consume-batch call).

import { compareOffsets, nextOffset, runWorkflowId, type PartitionOffset, type RunBatch } from '../../batch';
import type { SensorState } from './state';

/** What happened when the sensor started a batch's run. */
export type StartOutcome = 'started' | 'already started' | 'failed';

/** The run ID of a batch: from its offsets and, after a reset of its partition, that reset's ID. */
export function runIdOf(state: SensorState, batch: RunBatch, groupId: string): string {
  return runWorkflowId(batch, groupId, state.resetOf?.[String(batch.partition)]);
}

/** The commits to send with the next call. */
export function commitsToSend(state: SensorState): PartitionOffset[] {
  return toOffsets(state.pendingCommit);
}

/**
 * The commit call outside a consume-batch call (the end of a tick, a pause, a stop): also keeps the
 * consumer from being closed as idle, for `leaseMs` from now (the default idle timeout when absent).
 */
export function commitInput(
  state: SensorState,
  replica: number,
  leaseMs?: number,
): { replica: number; offsets: PartitionOffset[]; idleTimeoutMs?: number; known: Record<string, string> } {
  return { replica, offsets: commitsToSend(state), idleTimeoutMs: leaseMs, known: state.committed };
}

/** The rewinds to send with the next consume-batch call. */
export function rewindsToSend(state: SensorState): PartitionOffset[] {
  return toOffsets(state.rewind);
}

/** A consume-batch call carrying `sent` succeeded: the consumer has re-positioned those partitions. */
export function rewindsApplied(state: SensorState, sent: PartitionOffset[]): SensorState {
  const rewind = { ...state.rewind };
  // Only the rewind that was sent: a newer one of the same partition (a later batch failed to
  // start meanwhile) has still to go.
  for (const { partition, offset } of sent) if (rewind[partition] === offset) delete rewind[partition];
  return { ...state, rewind };
}

/** The consumer settled these commits (see SensorConsumer.commit): stop sending them. */
export function acknowledgeCommits(state: SensorState, settled: PartitionOffset[]): SensorState {
  const pendingCommit = { ...state.pendingCommit };
  const committed = { ...state.committed };
  const skipThrough = { ...state.skipThrough };
  for (const { partition, offset } of settled) {
    if (pendingCommit[partition] === offset) delete pendingCommit[partition];
    const known = committed[partition];
    if (known === undefined || compareOffsets(offset, known) > 0) committed[partition] = offset;
    // Once the group has the offset, Kafka itself stops re-reads below it; forgetting the skip
    // point lets a deliberate offset reset (a replay) through.
    const through = skipThrough[partition];
    if (through !== undefined && nextOffset(through) === offset) delete skipThrough[partition];
  }
  return { ...state, skipThrough, pendingCommit, committed };
}

/**
 * Records the outcome of starting each batch's run (batches in the order the consumer cut them).
 * A partition whose run failed to start is rewound to that batch's first record, and nothing of
 * it from there on counts as started or gets committed: its later batches are read again too.
 */
export function recordStartOutcomes(
  state: SensorState,
  batches: RunBatch[],
  outcomes: StartOutcome[],
  groupId: string,
): SensorState {
  const next: SensorState = {
    ...state,
    skipThrough: { ...state.skipThrough },
    pendingCommit: { ...state.pendingCommit },
    rewind: { ...state.rewind },
  };
  const blocked = new Set<number>();
  batches.forEach((batch, i) => {
    const outcome = outcomes[i]!;
    const key = String(batch.partition);
    if (outcome === 'failed' || blocked.has(batch.partition)) {
      if (!blocked.has(batch.partition)) next.rewind[key] = batch.firstOffset;
      blocked.add(batch.partition);
      return;
    }
    if (outcome === 'already started') next.batchesAlreadyStarted++;
    next.skipThrough[key] = batch.lastOffset;
    next.pendingCommit[key] = nextOffset(batch.lastOffset);
    next.batches++;
    next.messages += batch.count;
    next.lastBatch = {
      workflowId: runIdOf(next, batch, groupId),
      partition: batch.partition,
      firstOffset: batch.firstOffset,
      lastOffset: batch.lastOffset,
      messages: batch.count,
    };
  });
  return next;
}

function toOffsets(byPartition: Record<string, string>): PartitionOffset[] {
  return Object.entries(byPartition).map(([partition, offset]) => ({ partition: Number(partition), offset }));
}
