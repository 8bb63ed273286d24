// Replay: re-processes chosen offset ranges of a topic through MicroBatchRuns (`npm run replay`),
// as one parent workflow in the Web UI whose `status` query shows progress.
//
// - Its runs are offset-range batches of at most MAX_BATCH_SIZE offsets, read back from Kafka by
//   process-batch (the BATCH_PAYLOAD=offsets path), on the runs task queue: the same worker slots,
//   so the max-concurrent-runs limit holds for live and replay runs together. At most
//   maxInFlightRuns of its runs are unfinished at once.
// - Run IDs are `replay-<name>/microbatch-…` (src/batch.ts), never a live run's ID, and a run
//   reports to this workflow, its parent, never to a live sensor. A replay
//   commits no offsets: the live group's position is untouched.
// - Cancelling it stops new runs; runs already started finish (they are started outside the
//   cancellable scope), then it ends as cancelled.
// - Bounded history: it continues as new when the history grows long (./history.ts), after the
//   runs it started have finished (their results arrive only in the run that started them),
//   carrying its state (./replay-state.ts).
// Deterministic: no Node built-ins, no clock; the outcome depends only on its input and events.

import {
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  defineQuery,
  isCancellation,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { replayRunWorkflowId, type BatchRange } from '../batch';
import type { PartitionRange } from '../replay/plan';
import { historyIsLong } from './history';
import { startRunChild } from './start-run-child';
import { runFinishedSignal, runHeldSignal, type RunSettings } from './micro-batch-run';
import {
  batchStarted,
  initialReplayState,
  pickNextBatch,
  progressOf,
  runCompleted,
  runFailed,
  type ReplayState,
} from './replay-state';

export interface ReplaySettings {
  /** Most offsets in one run (MAX_BATCH_SIZE). */
  maxBatchSize: number;
  /** Most of this replay's runs unfinished at once (MAX_IN_FLIGHT_RUNS). */
  maxInFlightRuns: number;
  runsTaskQueue: string;
  run: RunSettings;
}

export interface ReplayInput {
  /** The replay's name, part of every workflow ID it makes (src/batch.ts REPLAY_NAME). */
  name: string;
  topic: string;
  /** The live pipeline's group: the runs load its sink and carry its search attributes. */
  groupId: string;
  /** What to re-process, resolved against the log when the replay was asked for. */
  ranges: PartitionRange[];
  settings: ReplaySettings;
  /** Set by continue-as-new; absent on a first start. */
  state?: ReplayState;
}

export type ReplayPhase = 'running' | 'finishing' | 'cancelling' | 'done' | 'cancelled';

export interface ReplayStatus extends ReplayState {
  name: string;
  topic: string;
  groupId: string;
  ranges: PartitionRange[];
  phase: ReplayPhase;
  inFlightRuns: number;
  /** Offsets of every range, and how many of them are in runs started so far. */
  offsets: number;
  offsetsStarted: number;
}

export type ReplayResult = ReplayStatus;

export const replayStatusQuery = defineQuery<ReplayStatus>('status');

export async function Replay(input: ReplayInput): Promise<ReplayResult> {
  const { name, topic, groupId, ranges, settings } = input;
  const state = input.state ?? initialReplayState(ranges);
  const inFlight = new Set<string>();
  let phase: ReplayPhase = 'running';

  const status = (): ReplayStatus => {
    const { offsets, started } = progressOf(ranges, state);
    return {
      ...state,
      name,
      topic,
      groupId,
      ranges,
      phase,
      inFlightRuns: inFlight.size,
      offsets,
      offsetsStarted: started,
    };
  };
  setHandler(replayStatusQuery, status);
  // Runs report to their parent, here: a held run shows in `status`; the end of a run arrives as its result.
  setHandler(runHeldSignal, (run, cause) => void (state.held = { run, cause }));
  setHandler(runFinishedSignal, (run) => {
    if (state.held?.run === run) state.held = undefined;
  });

  async function start(index: number, batch: BatchRange): Promise<void> {
    const workflowId = replayRunWorkflowId(name, batch, groupId);
    try {
      // Outside the cancellable scope: cancelling the replay lets started runs finish.
      const handle = await CancellationScope.nonCancellable(() =>
        startRunChild({
          workflowId,
          taskQueue: settings.runsTaskQueue,
          batch,
          settings: settings.run,
          groupId,
          count: batch.count,
          summary: `replay ${name}: ${topic} partition ${batch.partition}, offsets ${batch.firstOffset}–${batch.lastOffset}`,
          memo: { replay: workflowInfo().workflowId },
        }),
      );
      batchStarted(state, index, batch, false);
      inFlight.add(workflowId);
      handle.result().then(
        (result) => {
          inFlight.delete(workflowId);
          runCompleted(state, result);
        },
        (err: Error) => {
          inFlight.delete(workflowId);
          const cause = err instanceof ChildWorkflowFailure ? err.cause : undefined;
          runFailed(state, workflowId, cause?.message ?? err.message);
        },
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        // Running or completed under this replay's name already: not run twice.
        batchStarted(state, index, batch, true);
        return;
      }
      if (isCancellation(err)) throw err;
      // Could not be started (Temporal refused it): counted and shown, and the replay moves on.
      batchStarted(state, index, batch, false);
      runFailed(state, workflowId, `not started: ${(err as Error).message}`);
    }
  }

  try {
    for (;;) {
      const next = pickNextBatch(topic, ranges, state, settings.maxBatchSize);
      if (!next) break;
      if (historyIsLong()) {
        phase = 'finishing';
        await condition(() => inFlight.size === 0);
        state.continuedAsNew++;
        await continueAsNew<typeof Replay>({ ...input, state });
      }
      await condition(() => inFlight.size < settings.maxInFlightRuns);
      await start(next.index, next.batch);
    }
    phase = 'finishing';
    await condition(() => inFlight.size === 0);
    phase = 'done';
    return status();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    phase = 'cancelling';
    await CancellationScope.nonCancellable(() => condition(() => inFlight.size === 0));
    phase = 'cancelled';
    throw err;
  }
}
