// The Replay workflow's durable state and the pure steps over it: which batch comes next, and what
// a run's outcome adds to the tallies. Everything here travels through continue-as-new (in
// ReplayInput.state) and is unit-tested without Temporal (test/unit/replay-plan.test.ts). The
// workflow (./replay.ts) wires it to child runs, signals and the status query.

import type { BatchRange } from '../batch';
import { nextReplayBatch, offsetsIn, type PartitionRange } from '../replay/plan';
import type { MicroBatchRunResult } from './micro-batch-run';

/** Most failures kept for `status` (the count goes on). */
const FAILURES_KEPT = 20;

export interface ReplayState {
  /** Per range (same order as ReplayInput.ranges), the next offset to start a run from. */
  next: string[];
  /** Runs started (or found already started: a replay restarted under its own name). */
  runsStarted: number;
  /** Runs that had run under the same ID already (not run again; their results are not counted). */
  runsAlreadyStarted: number;
  runsCompleted: number;
  runsFailed: number;
  /** Offsets the completed runs covered, and what they did with them (MicroBatchRunResult). */
  messages: number;
  loaded: number;
  alreadyLoaded: number;
  deadLettered: number;
  /** The latest failures (a run failed or could not be started), newest last. */
  failures: Array<{ run: string; message: string }>;
  /** A run that said it holds its records (a sink outage, a systemic failure), and why. */
  held?: { run: string; cause: string };
  continuedAsNew: number;
}

export function initialReplayState(ranges: PartitionRange[]): ReplayState {
  return {
    next: ranges.map((r) => r.first),
    runsStarted: 0,
    runsAlreadyStarted: 0,
    runsCompleted: 0,
    runsFailed: 0,
    messages: 0,
    loaded: 0,
    alreadyLoaded: 0,
    deadLettered: 0,
    failures: [],
    continuedAsNew: 0,
  };
}

/**
 * The next batch to start and the range it belongs to, taking ranges in turn so that partitions
 * progress together; undefined when every range is done. Does not advance: see batchStarted.
 */
export function pickNextBatch(
  topic: string,
  ranges: PartitionRange[],
  state: ReplayState,
  maxBatchSize: number,
): { index: number; batch: BatchRange } | undefined {
  // The range with the fewest offsets started so far goes first (ties: the lower partition).
  let best: { index: number; batch: BatchRange; done: bigint } | undefined;
  ranges.forEach((range, index) => {
    const batch = nextReplayBatch(topic, range, state.next[index]!, maxBatchSize);
    if (!batch) return;
    const done = BigInt(state.next[index]!) - BigInt(range.first);
    if (!best || done < best.done) best = { index, batch, done };
  });
  return best && { index: best.index, batch: best.batch };
}

/** The batch's run was started (or had been): the range moves on past it. */
export function batchStarted(state: ReplayState, index: number, batch: BatchRange, alreadyStarted: boolean): void {
  state.next[index] = (BigInt(batch.lastOffset) + 1n).toString();
  state.runsStarted++;
  if (alreadyStarted) state.runsAlreadyStarted++;
}

export function runCompleted(state: ReplayState, result: MicroBatchRunResult): void {
  state.runsCompleted++;
  state.messages += result.messages;
  state.loaded += result.loaded;
  state.alreadyLoaded += result.alreadyLoaded;
  state.deadLettered += result.deadLettered;
}

export function runFailed(state: ReplayState, run: string, message: string): void {
  state.runsFailed++;
  state.failures.push({ run, message });
  if (state.failures.length > FAILURES_KEPT) state.failures.splice(0, state.failures.length - FAILURES_KEPT);
}

/** Offsets of all ranges, and those whose runs have started. */
export function progressOf(ranges: PartitionRange[], state: ReplayState): { offsets: number; started: number } {
  let offsets = 0;
  let started = 0;
  ranges.forEach((range, i) => {
    offsets += offsetsIn(range);
    started += Number(BigInt(state.next[i]!) - BigInt(range.first));
  });
  return { offsets, started };
}
