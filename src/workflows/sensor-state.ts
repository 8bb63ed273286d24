// The KafkaSensor's durable state and the pure decisions over it: what to commit, what to read again,
// what a batch's start outcome changes. Everything here survives the end of a tick and
// continue-as-new (it travels in SensorInput.state), and is unit-tested without Temporal
// (test/unit/sensor-state.test.ts). The workflow (./sensor.ts) wires it to activities and timers.

import { compareOffsets, nextOffset, recordCount, runWorkflowId, type PartitionOffset, type RunBatch } from '../batch';

export interface LastBatch {
  workflowId: string;
  partition: number;
  firstOffset: string;
  lastOffset: string;
  messages: number;
}

/** Why a sensor stopped taking records until someone looks (see README, "A recreated topic"). */
export interface Halt {
  reason: string;
  at: string;
}

export interface SensorState {
  paused: boolean;
  ticks: number;
  /** Waits between ticks cut short because records arrived (src/sensor-wake.ts). */
  wakes: number;
  batches: number;
  messages: number;
  /** Batches whose run was running or had completed already: a re-read after a rebalance or a restart. */
  batchesAlreadyStarted: number;
  continuedAsNew: number;
  /** Unfinished runs started by earlier runs of this sensor (before continue-as-new). */
  carriedRuns: string[];
  /** Per partition, the highest offset already in a started run; re-read records below are dropped. */
  skipThrough: Record<string, string>;
  /**
   * Per partition, the next offset to commit once the consumer group accepts it. Kept while the
   * replica does not hold the partition: the consumer commits only partitions it holds, and never
   * behind the group's offset.
   */
  pendingCommit: Record<string, string>;
  /**
   * Per partition, the offset to read again from: the first record of a batch whose run could not
   * be started. Kept until a consume-batch call has applied it, however many ticks or
   * continue-as-news that takes; until then nothing past it is committed.
   */
  rewind: Record<string, string>;
  /**
   * Per partition, the highest offset the group is known to have committed. Kafka never moves it
   * back by itself: a partition whose log now ends below it, or whose group offset vanished, belongs
   * to a topic that was deleted and created again (see SensorConsumer.findResetPartitions).
   */
  committed: Record<string, string>;
  /** Set when the sensor stopped taking records and needs a person; `resume` clears it. */
  halted?: Halt;
  lastBatch?: LastBatch;
  /**
   * The last failure, when it happened, and when the sensor worked again after it (absent while
   * it still fails): an old error stays visible without looking current. `run` names the run it
   * came from, when a run said it holds its records (runHeldSignal); it recovers when that run ends.
   */
  lastError?: { message: string; at: string; recoveredAt?: string; run?: string };
  assignment: number[];
  consumerTaskQueue?: string;
  /** A reset of the group's offsets (`npm run reset`) this sensor has still to apply. */
  resetRequest?: OffsetReset;
  /** The last reset this sensor dealt with, and what it did: `npm run reset` waits for it. */
  lastReset?: ResetOutcome;
  /**
   * Per partition, the last reset that moved its offsets: part of the IDs of the runs started
   * since (see runWorkflowId), so records read again after it are run again.
   */
  resetOf?: Record<string, string>;
}

/** Sent by `npm run reset` to every sensor of the pipeline (resetOffsetsSignal). */
export interface OffsetReset {
  /** Lower-case letters and digits; goes into run IDs. */
  id: string;
  /** The new committed offset (the next to read) of each partition to move. */
  targets: PartitionOffset[];
}

export interface ResetOutcome {
  id: string;
  /** Of the targets, those this sensor held and so committed and sought to. */
  applied: PartitionOffset[];
  /** Why it applied none, when it could not (halted, replaced by a newer reset). */
  refused?: string;
  at: string;
}

export function initialSensorState(): SensorState {
  return {
    paused: false,
    ticks: 0,
    wakes: 0,
    batches: 0,
    messages: 0,
    batchesAlreadyStarted: 0,
    continuedAsNew: 0,
    carriedRuns: [],
    skipThrough: {},
    pendingCommit: {},
    rewind: {},
    committed: {},
    assignment: [],
  };
}

/** What happened when the sensor started a batch's run. */
export type StartOutcome = 'started' | 'already started' | 'failed';

/** The commits to send with the next call. */
export function commitsToSend(state: SensorState): PartitionOffset[] {
  return toOffsets(state.pendingCommit);
}

/** The rewinds to send with the next consume-batch call. */
export function rewindsToSend(state: SensorState): PartitionOffset[] {
  return toOffsets(state.rewind);
}

/** A consume-batch call carrying `sent` succeeded: the consumer has re-positioned those partitions. */
export function rewindsApplied(state: SensorState, sent: PartitionOffset[]): void {
  for (const { partition, offset } of sent) if (state.rewind[partition] === offset) delete state.rewind[partition];
}

/** The consumer settled these commits (see SensorConsumer.commit): stop sending them. */
export function acknowledgeCommits(state: SensorState, settled: PartitionOffset[]): void {
  const { committed } = state;
  for (const { partition, offset } of settled) {
    if (state.pendingCommit[partition] === offset) delete state.pendingCommit[partition];
    const known = committed[partition];
    if (known === undefined || compareOffsets(offset, known) > 0) committed[partition] = offset;
    // Once the group has the offset, Kafka itself stops re-reads below it; forgetting the skip
    // point lets a deliberate offset reset (a replay) through.
    const through = state.skipThrough[partition];
    if (through !== undefined && nextOffset(through) === offset) delete state.skipThrough[partition];
  }
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
): void {
  const blocked = new Set<number>();
  const { rewind } = state;
  batches.forEach((batch, i) => {
    const outcome = outcomes[i]!;
    const key = String(batch.partition);
    if (outcome === 'failed' || blocked.has(batch.partition)) {
      if (!blocked.has(batch.partition)) rewind[key] = batch.firstOffset;
      blocked.add(batch.partition);
      return;
    }
    if (outcome === 'already started') state.batchesAlreadyStarted++;
    state.skipThrough[key] = batch.lastOffset;
    state.pendingCommit[key] = nextOffset(batch.lastOffset);
    state.batches++;
    state.messages += recordCount(batch);
    state.lastBatch = {
      workflowId: runWorkflowId(batch, groupId, state.resetOf?.[key]),
      partition: batch.partition,
      firstOffset: batch.firstOffset,
      lastOffset: batch.lastOffset,
      messages: recordCount(batch),
    };
  });
}

function toOffsets(byPartition: Record<string, string>): PartitionOffset[] {
  return Object.entries(byPartition).map(([partition, offset]) => ({ partition: Number(partition), offset }));
}

/**
 * A reset arrived: pending commits, skip points and rewinds of its partitions belong to the old
 * position. Dropped at once (a commit sent after the reset would move the partition back where it
 * was), and again right before the reset is applied (runs started meanwhile added some).
 */
export function dropForReset(state: SensorState, targets: PartitionOffset[]): void {
  for (const { partition } of targets) {
    const key = String(partition);
    delete state.pendingCommit[key];
    delete state.skipThrough[key];
    delete state.rewind[key];
  }
}

/**
 * The reset is done here: the group's offsets are the targets now (for the partitions this sensor
 * held; the others' holders apply the same request), and runs of these partitions are named
 * after it from now on, in every sensor, whichever holds the partition next.
 */
export function resetDone(state: SensorState, request: OffsetReset, applied: PartitionOffset[], at: string): void {
  dropForReset(state, request.targets);
  state.resetOf ??= {};
  for (const { partition, offset } of request.targets) {
    state.committed[String(partition)] = offset;
    state.resetOf[String(partition)] = request.id;
  }
  state.lastReset = { id: request.id, applied, at };
  state.resetRequest = undefined;
}
