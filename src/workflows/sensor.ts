// KafkaSensor: one long-running workflow per sensor replica, ticking like a cron-scheduled sensor.
// A tick runs consume-batch in a loop for up to MAX_SENSOR_TICK_RUNTIME; every batch becomes a
// child MicroBatchRun; then the sensor waits TIME_BETWEEN_SENSOR_TICKS on a durable timer, unless
// the tick ended with records still waiting, in which case the next tick starts at once.
//
// Guarantees kept here:
// - at-least-once: a partition's offset is committed only after the runs holding every record
//   below it have started (the commit rides on the next consume-batch call);
// - idempotent starts: a run's workflow ID comes from its offsets, and an ID already used counts
//   as started;
// - backpressure: at most maxInFlightRuns started-but-unfinished runs; beyond it no records are
//   taken, so they wait in Kafka as lag;
// - bounded history: continue-as-new when Temporal suggests it, carrying counters and state.

import {
  ActivityFailure,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { nextOffset, recordCount, runWorkflowId, type PartitionOffset, type RunBatch } from '../batch';
import type { ConsumeResult, SensorActivities } from '../activities/sensor-activities';
import { FirstOffset, KafkaGroup, KafkaPartition, KafkaTopic, LastOffset, MessageCount } from '../search-attributes';
import { MicroBatchRun, type RunSettings } from './micro-batch-run';

export interface SensorSettings {
  maxBatchSize: number;
  maxBatchBytes: number;
  /** Record bytes one consume-batch result carries (MAX_CONSUME_RESULT_BYTES); absent in sensors started before it existed. */
  maxResultBytes?: number;
  maxBatchWaitMs: number;
  maxTickRuntimeMs: number;
  timeBetweenTicksMs: number;
  maxInFlightRuns: number;
  runsTaskQueue: string;
  run: RunSettings;
}

export interface SensorInput {
  topic: string;
  /** The consumer group; absent in sensors started before it was added. */
  groupId?: string;
  replica: number;
  settings: SensorSettings;
  /** Set by continue-as-new; absent on a first start. */
  state?: SensorState;
}

export interface LastBatch {
  workflowId: string;
  partition: number;
  firstOffset: string;
  lastOffset: string;
  messages: number;
}

export interface SensorState {
  paused: boolean;
  ticks: number;
  batches: number;
  messages: number;
  /** Batches whose run had been started before (a re-read after a rebalance or a restart). */
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
  lastBatch?: LastBatch;
  lastError?: { message: string; at: string };
  assignment: number[];
  consumerTaskQueue?: string;
}

export interface SensorStatus extends Omit<SensorState, 'carriedRuns' | 'skipThrough'> {
  workflowId: string;
  topic: string;
  replica: number;
  phase: Phase;
  inFlightRuns: number;
  settings: SensorSettings;
}

type Phase = 'starting' | 'consuming' | 'waiting between ticks' | 'at in-flight limit' | 'paused' | 'stopping';

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Ends the sensor cleanly: it commits what it may, leaves the consumer group and completes. */
export const stopSignal = defineSignal('stop');
/** New settings from `npm run worker`, applied from the next consume-batch call on. */
export const applySettingsSignal = defineSignal<[SensorSettings]>('applySettings');
export const statusQuery = defineQuery<SensorStatus>('status');

/** Record bytes of one consume-batch result for sensors started before MAX_CONSUME_RESULT_BYTES existed. */
const CONSUME_RESULT_BYTES = 448 * 1024;

/** Activities on the shared sensor task queue (any worker may answer). */
const shared = proxyActivities<SensorActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 1 },
});

export async function KafkaSensor(input: SensorInput): Promise<void> {
  const { topic, replica } = input;
  let settings = input.settings;
  const state: SensorState = input.state ?? {
    paused: false,
    ticks: 0,
    batches: 0,
    messages: 0,
    batchesAlreadyStarted: 0,
    continuedAsNew: 0,
    carriedRuns: [],
    skipThrough: {},
    pendingCommit: {},
    assignment: [],
  };
  /** Runs this workflow run started and has not seen finish. */
  const tracked = new Set<string>();
  const carried = new Set(state.carriedRuns);
  const inFlight = () => tracked.size + carried.size;
  let phase: Phase = 'starting';
  let stopping = false;
  let failuresInARow = 0;

  setHandler(pauseSignal, () => void (state.paused = true));
  setHandler(resumeSignal, () => void (state.paused = false));
  setHandler(stopSignal, () => void (stopping = true));
  setHandler(applySettingsSignal, (next) => void (settings = next));
  setHandler(statusQuery, () => {
    const { carriedRuns: _c, skipThrough: _s, ...rest } = state;
    return {
      ...rest,
      workflowId: workflowInfo().workflowId,
      topic,
      replica,
      phase,
      inFlightRuns: inFlight(),
      settings,
    };
  });

  const recordError = (err: unknown) => {
    const message =
      err instanceof ActivityFailure && err.cause ? err.cause.message : String((err as Error)?.message ?? err);
    state.lastError = { message, at: new Date().toISOString() };
    failuresInARow++;
  };
  /** Waits before the next attempt after a failure: 1 s, doubling, at most 30 s. */
  const backoff = () => condition(() => stopping, Math.min(30_000, 1_000 * 2 ** Math.min(failuresInARow - 1, 5)));
  /** Idle time after which a worker closes this replica's consumer (it must have moved). */
  const idleTimeoutMs = () => settings.timeBetweenTicksMs + settings.maxTickRuntimeMs + 60_000;
  /** Longest a wait may last before the consumer is touched, so it is not closed as idle. */
  const keepAliveMs = () => Math.min(30_000, Math.floor(idleTimeoutMs() / 3));

  function consumerActivities(): SensorActivities | undefined {
    if (!state.consumerTaskQueue) return undefined;
    return proxyActivities<SensorActivities>({
      taskQueue: state.consumerTaskQueue,
      // If the process holding the consumer died, nobody polls its queue: give up soon and
      // re-home the consumer (a live worker has free slots and picks a task up in milliseconds).
      scheduleToStartTimeout: '10 seconds',
      startToCloseTimeout: settings.maxBatchWaitMs + 30_000,
      retry: { maximumAttempts: 1 },
    });
  }

  /** Claims the replica's consumer until some worker holds it; false if the sensor is stopping. */
  async function ensureConsumer(): Promise<boolean> {
    while (!state.consumerTaskQueue && !stopping) {
      try {
        const claim = { topic, groupId: input.groupId, replica, idleTimeoutMs: idleTimeoutMs() };
        state.consumerTaskQueue = (await shared.claimConsumer(claim)).taskQueue;
        failuresInARow = 0;
      } catch (err) {
        recordError(err);
        await backoff();
      }
    }
    return !stopping;
  }

  /** The consumer's worker is gone or lost the consumer: claim it again (possibly elsewhere). */
  function loseConsumer(err: unknown) {
    recordError(err);
    state.consumerTaskQueue = undefined;
  }

  function commitsToSend(): PartitionOffset[] {
    return Object.entries(state.pendingCommit).map(([partition, offset]) => ({ partition: Number(partition), offset }));
  }

  function acknowledgeCommits(sent: PartitionOffset[]) {
    for (const { partition, offset } of sent) {
      if (state.pendingCommit[partition] === offset) delete state.pendingCommit[partition];
      // Once the group has the offset, Kafka itself stops re-reads below it; forgetting the skip
      // point lets a deliberate offset reset (a replay) through.
      const through = state.skipThrough[partition];
      if (through !== undefined && nextOffset(through) === offset) delete state.skipThrough[partition];
    }
  }

  /** Commits pending offsets (also keeps the consumer from being closed as idle). */
  async function commitPending(): Promise<void> {
    const activities = consumerActivities();
    if (!activities) return;
    const sent = commitsToSend();
    try {
      acknowledgeCommits(await activities.commitOffsets({ replica, offsets: sent }));
    } catch (err) {
      loseConsumer(err);
    }
  }

  /** Waits for a free in-flight slot; runs started before continue-as-new are checked by query. */
  async function waitForFreeSlot(): Promise<void> {
    while (inFlight() >= settings.maxInFlightRuns && !stopping) {
      phase = 'at in-flight limit';
      const waitMs = carried.size > 0 ? 2_000 : keepAliveMs();
      if (await condition(() => inFlight() < settings.maxInFlightRuns || stopping, waitMs)) break;
      if (carried.size > 0) {
        const running = new Set(await shared.findUnfinishedRuns([...carried]).catch(() => [...carried]));
        for (const id of [...carried]) if (!running.has(id)) carried.delete(id);
      }
      await commitPending();
    }
  }

  async function startRuns(batches: RunBatch[]): Promise<PartitionOffset[]> {
    const rewind: PartitionOffset[] = [];
    const outcomes = await Promise.all(batches.map((batch) => startRun(batch)));
    const blocked = new Set<number>();
    batches.forEach((batch, i) => {
      const outcome = outcomes[i]!;
      const key = String(batch.partition);
      if (outcome === 'failed' || blocked.has(batch.partition)) {
        // Never commit past a batch whose run did not start: read it again from its first record.
        if (!blocked.has(batch.partition)) rewind.push({ partition: batch.partition, offset: batch.firstOffset });
        blocked.add(batch.partition);
        return;
      }
      if (outcome === 'already started') state.batchesAlreadyStarted++;
      state.skipThrough[key] = batch.lastOffset;
      state.pendingCommit[key] = nextOffset(batch.lastOffset);
      state.batches++;
      state.messages += recordCount(batch);
      state.lastBatch = {
        workflowId: runWorkflowId(batch, input.groupId),
        partition: batch.partition,
        firstOffset: batch.firstOffset,
        lastOffset: batch.lastOffset,
        messages: recordCount(batch),
      };
    });
    return rewind;
  }

  async function startRun(batch: RunBatch): Promise<'started' | 'already started' | 'failed'> {
    const workflowId = runWorkflowId(batch, input.groupId);
    try {
      const handle = await startChild(MicroBatchRun, {
        workflowId,
        taskQueue: settings.runsTaskQueue,
        args: [{ batch, settings: settings.run }],
        // Runs outlive the sensor's continue-as-new, and a finished batch is never run again.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          { key: KafkaTopic, value: batch.topic },
          ...(input.groupId === undefined ? [] : [{ key: KafkaGroup, value: input.groupId }]),
          { key: KafkaPartition, value: batch.partition },
          { key: FirstOffset, value: Number(batch.firstOffset) },
          { key: LastOffset, value: Number(batch.lastOffset) },
          { key: MessageCount, value: recordCount(batch) },
        ],
        staticSummary: `${batch.topic} partition ${batch.partition}, offsets ${batch.firstOffset}–${batch.lastOffset} (${recordCount(batch)} messages)`,
        memo: { sensor: workflowInfo().workflowId, bytes: batch.bytes },
      });
      tracked.add(workflowId);
      const finished = () => void tracked.delete(workflowId);
      handle.result().then(finished, finished);
      return 'started';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already started';
      recordError(err);
      return 'failed';
    }
  }

  /**
   * One tick. Returns true when it ended caught up (the last call found nothing waiting).
   * `afterWait`: the tick follows a wait between ticks, so whatever is buffered has waited long
   * enough: its first call takes it at once instead of waiting MAX_BATCH_WAIT for a full batch.
   */
  async function tick(afterWait: boolean): Promise<boolean> {
    state.ticks++;
    let firstCall = true;
    const tickEnds = Date.now() + settings.maxTickRuntimeMs;
    let rewind: PartitionOffset[] = [];
    let caughtUp = false;
    while (Date.now() < tickEnds && !state.paused && !stopping && !workflowInfo().continueAsNewSuggested) {
      await waitForFreeSlot();
      if (stopping) break;
      // (An activities proxy is never returned from an async function: awaiting it would look up
      // an activity named "then".)
      if (!(await ensureConsumer())) break;
      const activities = consumerActivities()!;
      phase = 'consuming';
      const commit = commitsToSend();
      let result: ConsumeResult;
      try {
        result = await activities.consumeBatch({
          replica,
          commit,
          rewind,
          request: {
            maxMessages: settings.maxBatchSize,
            maxBytes: settings.maxBatchBytes,
            maxBatches: settings.maxInFlightRuns - inFlight(),
            // With BATCH_PAYLOAD=records the batches travel in one activity result, which must stay
            // under Temporal's 2 MiB limit (with offsets the activity lifts this cap).
            maxTotalBytes: Math.max(settings.maxBatchBytes, settings.maxResultBytes ?? CONSUME_RESULT_BYTES),
            maxWaitMs: firstCall && afterWait ? 0 : settings.maxBatchWaitMs,
            skipThrough: state.skipThrough,
          },
        });
      } catch (err) {
        loseConsumer(err);
        await backoff();
        continue;
      }
      failuresInARow = 0;
      firstCall = false;
      acknowledgeCommits(result.settled);
      state.assignment = result.assignment;
      rewind = await startRuns(result.batches);
      if (result.batches.length === 0) {
        caughtUp = true;
        break;
      }
      caughtUp = !result.backlog;
    }
    await commitPending();
    return caughtUp;
  }

  /** The last tick ended caught up and the sensor has waited TIME_BETWEEN_SENSOR_TICKS since. */
  let waited = false;
  while (!stopping) {
    if (state.paused) {
      phase = 'paused';
      // Commit what has started, then touch the consumer now and then so that it keeps its
      // partitions while paused (their records wait in Kafka).
      await commitPending();
      await condition(() => !state.paused || stopping, keepAliveMs());
      continue;
    }
    const caughtUp = await tick(waited);
    waited = false;
    if (workflowInfo().continueAsNewSuggested && !stopping) {
      state.continuedAsNew++;
      state.carriedRuns = [...tracked, ...carried];
      await continueAsNew<typeof KafkaSensor>({ ...input, settings, state });
    }
    if (caughtUp && !stopping && !state.paused && settings.timeBetweenTicksMs > 0) {
      phase = 'waiting between ticks';
      // condition() is false when the wait ran its full time (not cut short by pause or stop).
      waited = !(await condition(() => stopping || state.paused, settings.timeBetweenTicksMs));
    }
  }

  phase = 'stopping';
  await commitPending();
  const activities = consumerActivities();
  if (activities) await activities.releaseConsumer({ replica }).catch(() => undefined);
}
