// KafkaSensor: one long-running workflow per sensor replica, ticking like a cron-scheduled sensor.
// A tick runs consume-batch in a loop for up to MAX_SENSOR_TICK_RUNTIME; every batch becomes a
// child MicroBatchRun. A tick ends early when a call finds nothing (the topic is idle); then the
// sensor waits TIME_BETWEEN_SENSOR_TICKS on a durable timer, cut short when records arrive (the
// consumer's worker signals it, see src/sensor-wake.ts). While records flow, ticks follow each
// other at once: a record waits about MAX_BATCH_WAIT for its batch, never for the timer.
//
// Guarantees kept here:
// - at-least-once: a partition's offset is committed only after the runs holding every record
//   below it have started (the commit rides on the next consume-batch call);
//   A partition whose run could not be started is read again from that batch, even across ticks
//   and continue-as-new (SensorState.rewind);
// - idempotent starts: a run's workflow ID comes from its offsets; an ID whose run is running or
//   completed counts as started, while one whose run failed, timed out or was terminated is run
//   again (WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY): a batch that was not loaded is never
//   taken for done;
// - backpressure: at most maxInFlightRuns started-but-unfinished runs; beyond it no records are
//   taken, so they wait in Kafka as lag;
// - bounded history: every loop (ticks, a pause, the in-flight limit, claims that keep failing)
//   continues as new when the history grows long (./history.ts), carrying counters and state;
// - a topic deleted and created again is noticed (its log ends below offsets the group had
//   committed, or the group's offsets vanished): the sensor halts and says so instead of taking the
//   new records for ones already loaded;
// - a stop followed by new settings (SENSOR_REPLICAS lowered, then raised again) restarts the
//   sensor instead of ending it;
// - a reset of the group's offsets (`npm run reset`, resetOffsetsSignal) is applied by the sensor
//   itself, at a safe point: it stops taking records, waits for its in-flight runs, drops pending
//   commits, then its consumer commits the targets of the partitions it holds and seeks to them.
//   Kafka refuses an admin's offset change while the group has members, and the consumers stay
//   members while their sensors pause; and only the member that holds a partition can move its
//   fetch position. The request is durable state: it survives continue-as-new.

import {
  ActivityFailure,
  CancellationScope,
  isCancellation,
  log,
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
import { recordCount, type RunBatch } from '../batch';
import type { ConsumeResult, SensorActivities, TopicReset } from '../activities/sensor-activities';
import { FirstOffset, KafkaGroup, KafkaPartition, KafkaTopic, LastOffset, MessageCount } from '../search-attributes';
import { RECORDS_WAITING_SIGNAL } from '../sensor-wake';
import { historyIsLong } from './history';
import { MicroBatchRun, runFinishedSignal, runHeldSignal, type RunSettings } from './micro-batch-run';
import {
  acknowledgeCommits,
  commitsToSend,
  dropForReset,
  initialSensorState,
  recordStartOutcomes,
  resetDone,
  resetRefused,
  resetRequested,
  rewindsApplied,
  rewindsToSend,
  runIdOf,
  type OffsetReset,
  type SensorState,
  type StartOutcome,
} from './sensor-core';

export type { OffsetReset, ResetOutcome, SensorState } from './sensor-core';

export interface SensorSettings {
  maxBatchSize: number;
  maxBatchBytes: number;
  /** Record bytes one consume-batch result carries (MAX_CONSUME_RESULT_BYTES). */
  maxResultBytes: number;
  maxBatchWaitMs: number;
  maxTickRuntimeMs: number;
  timeBetweenTicksMs: number;
  /** Longest wait between retries of calls that keep failing (SENSOR_RETRY_MAX_BACKOFF). */
  retryMaxBackoffMs: number;
  maxInFlightRuns: number;
  runsTaskQueue: string;
  run: RunSettings;
}

export interface SensorInput {
  topic: string;
  /** The consumer group: with the topic, what makes this pipeline distinct from others on the topic. */
  groupId: string;
  replica: number;
  settings: SensorSettings;
  /** Set by continue-as-new; absent on a first start. */
  state?: SensorState;
}

export interface SensorStatus extends Omit<SensorState, 'carriedRuns' | 'skipThrough'> {
  workflowId: string;
  topic: string;
  replica: number;
  phase: Phase;
  inFlightRuns: number;
  settings: SensorSettings;
}

type Phase =
  | 'starting'
  | 'consuming'
  | 'waiting between ticks'
  | 'at in-flight limit'
  | 'paused'
  | 'halted'
  | 'claiming consumer'
  | 'stopping'
  | 'restarting'
  | 'resetting';

export const pauseSignal = defineSignal('pause');
/** Resumes a paused sensor, or a halted one (see SensorState.halted) once someone has looked. */
export const resumeSignal = defineSignal('resume');
/** Ends the sensor cleanly: it commits what it may, leaves the consumer group and completes. */
export const stopSignal = defineSignal('stop');
/**
 * New settings from `npm run worker`, applied from the next consume-batch call on. Sent to a sensor
 * that is stopping, it means "keep running" (the replica was wanted again): it restarts.
 */
export const applySettingsSignal = defineSignal<[SensorSettings]>('applySettings');
export const statusQuery = defineQuery<SensorStatus>('status');
/**
 * Moves the group's committed offsets (`npm run reset`); sent to every sensor of the pipeline, each
 * applies it to the partitions it holds and reports in `status` (lastReset).
 */
export const resetOffsetsSignal = defineSignal<[OffsetReset]>('resetOffsets');
/**
 * Sent by a worker that shut down after closing this replica's consumer; carries that worker's
 * consumer task queue. The sensor claims a consumer elsewhere at once, instead of first waiting out
 * the schedule-to-start timeout of a call on a queue nobody polls any more.
 */
export const consumerReleasedSignal = defineSignal<[string]>('consumerReleased');
/**
 * Records arrived after a consume-batch call that found nothing; carries that call's token. Sent by
 * the consumer's worker (src/sensor-wake.ts); it ends a wait between ticks.
 */
export const recordsWaitingSignal = defineSignal<[string]>(RECORDS_WAITING_SIGNAL);

/** Activities on the shared sensor task queue (any worker may answer). */
const shared = proxyActivities<SensorActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 1 },
});

/**
 * Longest wait between touches of the consumer while the sensor waits (paused, halted, at the
 * in-flight limit). Each touch asks the worker to keep the consumer three such waits long.
 */
const MAX_KEEP_ALIVE_MS = 5 * 60_000;
/** First check of runs carried over from an earlier run of the sensor, at the in-flight limit. */
const CARRIED_RUNS_FIRST_CHECK_MS = 2_000;

export async function KafkaSensor(input: SensorInput): Promise<void> {
  const { topic, groupId, replica } = input;
  let settings = input.settings;
  let state: SensorState = input.state ?? initialSensorState();
  /** Runs this workflow run started and has not seen finish. */
  const tracked = new Set<string>();
  const carried = new Set(state.carriedRuns);
  const inFlight = () => tracked.size + carried.size;
  let phase: Phase = 'starting';
  let stopping = false;
  /** Settings arrived after a stop: the replica is wanted again, so restart once stopped. */
  let restartRequested = false;
  let failuresInARow = 0;
  /** Whether the next consume-batch call checks the topic was not recreated (see SensorState.committed). */
  let checkTopic = true;
  /** The call on the consumer's worker now under way, if any (see onConsumer). */
  let consumerCall: CancellationScope | undefined;
  /** The consumer's worker said it released the consumer: its calls end cancelled, not failed. */
  let released = false;
  /** consume-batch calls made by this run; with the run ID, names each call (see recordsWaitingSignal). */
  let calls = 0;
  /** Token of the latest consume-batch call; only its wake signal counts. */
  let wakeToken: string | undefined;
  /** Records arrived after the latest call found nothing. */
  let recordsWaiting = false;

  setHandler(runFinishedSignal, (workflowId) => {
    tracked.delete(workflowId);
    carried.delete(workflowId);
    if (state.lastError?.run === workflowId && !state.lastError.recoveredAt) {
      state.lastError.recoveredAt = new Date().toISOString();
    }
  });
  setHandler(runHeldSignal, (workflowId, cause) => {
    state.lastError = {
      message: `run ${workflowId} holds its records: ${cause}`,
      at: new Date().toISOString(),
      run: workflowId,
    };
  });
  setHandler(recordsWaitingSignal, (token) => {
    if (token === wakeToken) recordsWaiting = true;
  });
  setHandler(consumerReleasedSignal, (taskQueue) => {
    if (state.consumerTaskQueue !== taskQueue) return;
    state.consumerTaskQueue = undefined;
    released = true;
    consumerCall?.cancel();
  });
  setHandler(resetOffsetsSignal, (request) => void (state = resetRequested(state, request, new Date().toISOString())));
  setHandler(pauseSignal, () => void (state.paused = true));
  setHandler(resumeSignal, () => {
    state.paused = false;
    if (state.halted) {
      log.info('halted sensor resumed by signal', { reason: state.halted.reason });
      // Resumed after a recreated topic: what the group has now is the truth. Offsets kept from
      // before belong to the old topic: committed now, they would skip the new one's records.
      state.halted = undefined;
      state.committed = {};
      state.pendingCommit = {};
      state.skipThrough = {};
      state.rewind = {};
    }
  });
  setHandler(stopSignal, () => {
    stopping = true;
    restartRequested = false;
  });
  setHandler(applySettingsSignal, (next) => {
    settings = next;
    if (stopping) restartRequested = true;
  });
  setHandler(statusQuery, () => {
    const { carriedRuns: _c, skipThrough: _s, ...rest } = state;
    return {
      ...rest,
      workflowId: workflowInfo().workflowId,
      topic,
      replica,
      // A stop shows at once, not only once the current wait or call is over.
      phase: stopping ? (restartRequested ? 'restarting' : 'stopping') : phase,
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
  /** A call worked: the last error, if any, is history now. */
  const recovered = () => {
    failuresInARow = 0;
    // A run's trouble is over when that run ends, not when the sensor's own calls work.
    if (state.lastError && !state.lastError.recoveredAt && !state.lastError.run) {
      state.lastError.recoveredAt = new Date().toISOString();
    }
  };
  /** Waits before the next attempt after a failure: 1 s, doubling, at most SENSOR_RETRY_MAX_BACKOFF. */
  const backoff = () =>
    condition(() => stopping, Math.min(settings.retryMaxBackoffMs, 1_000 * 2 ** Math.min(failuresInARow - 1, 20)));
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

  /**
   * Claims the replica's consumer until some worker holds it; false if the sensor is stopping or
   * its history grew long (the caller then continues as new and claims again from there).
   */
  async function ensureConsumer(): Promise<boolean> {
    while (!state.consumerTaskQueue && !stopping && !historyIsLong()) {
      phase = 'claiming consumer';
      try {
        const claim = { topic, groupId, replica, idleTimeoutMs: idleTimeoutMs() };
        state.consumerTaskQueue = (await shared.claimConsumer(claim)).taskQueue;
        released = false;
        recovered();
        checkTopic = true;
      } catch (err) {
        recordError(err);
        await backoff();
      }
    }
    return !!state.consumerTaskQueue && !stopping;
  }

  /** Runs a call on the consumer's worker; consumerReleasedSignal cancels it (that worker is gone). */
  async function onConsumer<T>(call: () => Promise<T>): Promise<T> {
    const scope = new CancellationScope();
    consumerCall = scope;
    try {
      return await scope.run(call);
    } finally {
      if (consumerCall === scope) consumerCall = undefined;
    }
  }

  /**
   * The consumer's worker is gone or lost the consumer: claim it again (possibly elsewhere).
   * Returns true when that worker had said it released the consumer: not a failure, no wait.
   */
  function loseConsumer(err: unknown): boolean {
    state.consumerTaskQueue = undefined;
    if (released && isCancellation(err)) {
      released = false;
      return true;
    }
    recordError(err);
    return false;
  }

  /**
   * Commits pending offsets; also keeps the consumer from being closed as idle, for `leaseMs`
   * from now (the default idle timeout when absent).
   */
  async function commitPending(leaseMs?: number): Promise<void> {
    const activities = consumerActivities();
    if (!activities) return;
    const sent = commitsToSend(state);
    try {
      const settled = await onConsumer(() =>
        activities.commitOffsets({ replica, offsets: sent, idleTimeoutMs: leaseMs, known: state.committed }),
      );
      state = acknowledgeCommits(state, settled);
    } catch (err) {
      loseConsumer(err);
    }
  }

  /**
   * Waits until `done()`, the sensor is stopping or its history grew long, while the consumer keeps
   * its partitions (their records wait in Kafka). The consumer is touched after each wait; the
   * waits double up to MAX_KEEP_ALIVE_MS, so a long pause costs few history events, and each touch
   * asks the worker to keep the consumer until well after the next one. `eachTurn` runs before
   * each touch.
   */
  async function holdConsumerUntil(done: () => boolean, firstWaitMs: number, eachTurn?: () => Promise<void>) {
    let waitMs = firstWaitMs;
    while (!done() && !stopping && !historyIsLong()) {
      if (await condition(() => done() || stopping, waitMs)) return;
      waitMs = Math.min(MAX_KEEP_ALIVE_MS, Math.max(waitMs * 2, keepAliveMs()));
      await eachTurn?.();
      await commitPending(Math.max(idleTimeoutMs(), waitMs * 3));
    }
  }

  /** Forgets carried runs that are no longer running (a terminated run sends nothing). */
  async function checkCarried(): Promise<void> {
    if (carried.size === 0) return;
    const running = new Set(await shared.findUnfinishedRuns([...carried]).catch(() => [...carried]));
    for (const id of [...carried]) if (!running.has(id)) carried.delete(id);
  }

  /**
   * Waits for a free in-flight slot. Runs tell the sensor when they end (runFinishedSignal); runs
   * started before continue-as-new are also checked by query now and then, in case one was
   * terminated (a terminated run sends nothing).
   */
  async function waitForFreeSlot(): Promise<void> {
    if (inFlight() < settings.maxInFlightRuns) return;
    phase = 'at in-flight limit';
    await holdConsumerUntil(
      () => inFlight() < settings.maxInFlightRuns,
      carried.size > 0 ? CARRIED_RUNS_FIRST_CHECK_MS : keepAliveMs(),
      checkCarried,
    );
  }

  async function startRuns(batches: RunBatch[]): Promise<void> {
    const outcomes = await Promise.all(batches.map((batch) => startRun(batch)));
    state = recordStartOutcomes(state, batches, outcomes, groupId);
  }

  async function startRun(batch: RunBatch): Promise<StartOutcome> {
    const workflowId = runIdOf(state, batch, groupId);
    try {
      const handle = await startChild(MicroBatchRun, {
        workflowId,
        taskQueue: settings.runsTaskQueue,
        args: [{ batch, settings: settings.run }],
        // Runs outlive the sensor's continue-as-new.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // A batch whose run is running or completed is not run again; one whose run failed, timed
        // out or was terminated is (its records were not all loaded, and the sink absorbs those
        // that were).
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        typedSearchAttributes: [
          { key: KafkaTopic, value: batch.topic },
          { key: KafkaGroup, value: groupId },
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

  /** The topic was deleted and created again: stop taking records, and say why and what to do. */
  function halt(resets: TopicReset[]) {
    const partitions = resets
      .map(
        (r) =>
          `partition ${r.partition}: the group had committed ${r.known}, ` +
          `now ${r.committed ?? 'nothing'}, and the log ends at ${r.logEnd}`,
      )
      .join('; ');
    const reason =
      `Kafka topic "${topic}" was deleted and created again (or the group's offsets were deleted): ${partitions}. ` +
      'Its new records reuse offsets of records already loaded, so this sensor takes no more records. ' +
      'See README, "A recreated topic", for what to do; signal `resume` to take records from the group\'s offsets as they are now.';
    const at = new Date().toISOString();
    state.halted = { reason, at };
    state.lastError = { message: reason, at };
    log.error('sensor halted: topic recreated', { topic, replica, partitions });
  }

  /**
   * One tick. Returns true when it ended caught up: the last call found nothing, so the topic is
   * idle. A call that found records, even fewer than a full batch, does not end the tick: more are
   * likely on their way, and the next call waits MAX_BATCH_WAIT for them.
   * `afterWait`: the tick follows a wait between ticks, so whatever is buffered has waited long
   * enough: its first call takes it at once instead of waiting MAX_BATCH_WAIT for a full batch.
   */
  async function tick(afterWait: boolean): Promise<boolean> {
    state.ticks++;
    let firstCall = true;
    const tickEnds = Date.now() + settings.maxTickRuntimeMs;
    let caughtUp = false;
    checkTopic = true;
    while (
      Date.now() < tickEnds &&
      !state.paused &&
      !state.halted &&
      !state.resetRequest &&
      !stopping &&
      !historyIsLong()
    ) {
      await waitForFreeSlot();
      if (stopping || inFlight() >= settings.maxInFlightRuns) break;
      // (An activities proxy is never returned from an async function: awaiting it would look up
      // an activity named "then".)
      if (!(await ensureConsumer())) break;
      const activities = consumerActivities()!;
      phase = 'consuming';
      const commit = commitsToSend(state);
      const rewind = rewindsToSend(state);
      const wake = { workflowId: workflowInfo().workflowId, token: `${workflowInfo().runId}/${++calls}` };
      wakeToken = wake.token;
      recordsWaiting = false;
      let result: ConsumeResult;
      try {
        result = await onConsumer(() =>
          activities.consumeBatch({
            replica,
            commit,
            rewind,
            idleTimeoutMs: idleTimeoutMs(),
            known: state.committed,
            checkTopic,
            wake,
            request: {
              maxMessages: settings.maxBatchSize,
              maxBytes: settings.maxBatchBytes,
              maxBatches: settings.maxInFlightRuns - inFlight(),
              // With BATCH_PAYLOAD=records the batches travel in one activity result, which must stay
              // under Temporal's 2 MiB limit (with offsets the activity lifts this cap).
              maxTotalBytes: Math.max(settings.maxBatchBytes, settings.maxResultBytes),
              maxWaitMs: firstCall && afterWait ? 0 : settings.maxBatchWaitMs,
              skipThrough: state.skipThrough,
            },
          }),
        );
      } catch (err) {
        checkTopic = true;
        if (!loseConsumer(err)) await backoff();
        continue;
      }
      firstCall = false;
      if (result.topicReset && result.topicReset.length > 0) {
        halt(result.topicReset);
        break;
      }
      recovered();
      checkTopic = false;
      state = rewindsApplied(state, rewind);
      state = acknowledgeCommits(state, result.settled);
      state.assignment = result.assignment;
      await startRuns(result.batches);
      if (result.batches.length === 0) {
        caughtUp = true;
        break;
      }
      caughtUp = false;
    }
    // Commits ride on consume-batch calls: a tick that ended on an empty call has sent them all
    // (unless refused), and an idle sensor then saves an activity per tick.
    if (commitsToSend(state).length > 0) await commitPending();
    return caughtUp;
  }

  /**
   * Applies the pending reset (see resetOffsetsSignal). Returns without it when the sensor is
   * stopping, its history grew long (the request is carried through continue-as-new) or a call
   * failed (tried again on the next turn of the main loop).
   */
  async function applyReset(request: OffsetReset): Promise<void> {
    if (state.halted) {
      // Halted since the request came: its offsets belong to a topic that is gone (see halt()).
      state = resetRefused(state, request, new Date().toISOString());
      return;
    }
    phase = 'resetting';
    // Runs in flight load records of the old position: they finish first, so the rows of the
    // re-read come after theirs, and no run of the old position is still counted against the new.
    await holdConsumerUntil(() => inFlight() === 0, CARRIED_RUNS_FIRST_CHECK_MS, checkCarried);
    if (inFlight() > 0 || stopping || !(await ensureConsumer())) return;
    const activities = consumerActivities()!;
    // Runs started while the request waited added pending commits of these partitions: drop them.
    state = dropForReset(state, request.targets);
    try {
      const applied = await onConsumer(() =>
        activities.resetOffsets({ replica, targets: request.targets, idleTimeoutMs: idleTimeoutMs() }),
      );
      state = resetDone(state, request, applied, new Date().toISOString());
      recovered();
      log.info('offsets reset', { reset: request.id, applied });
    } catch (err) {
      if (!loseConsumer(err)) await backoff();
    }
  }

  async function continueAsNewWithState(): Promise<never> {
    state.continuedAsNew++;
    state.carriedRuns = [...tracked, ...carried];
    return continueAsNew<typeof KafkaSensor>({ ...input, settings, state });
  }

  /** The last tick ended caught up and the sensor has waited TIME_BETWEEN_SENSOR_TICKS since. */
  let waited = false;
  while (!stopping) {
    if (historyIsLong()) await continueAsNewWithState();
    if (state.resetRequest) {
      await applyReset(state.resetRequest);
      continue;
    }
    if (state.paused || state.halted) {
      phase = state.halted ? 'halted' : 'paused';
      // Commit what has started; keep the partitions (their records wait in Kafka).
      await commitPending();
      await holdConsumerUntil(() => (!state.paused && !state.halted) || !!state.resetRequest, keepAliveMs());
      continue;
    }
    const caughtUp = await tick(waited);
    waited = false;
    if (caughtUp && !stopping && !state.paused && !state.halted && settings.timeBetweenTicksMs > 0) {
      phase = 'waiting between ticks';
      // condition() is false when the wait ran its full time (not cut short by records, pause or stop).
      waited = !(await condition(
        () => recordsWaiting || stopping || state.paused || !!state.resetRequest,
        settings.timeBetweenTicksMs,
      ));
      if (recordsWaiting) state.wakes++;
    }
  }

  phase = restartRequested ? 'restarting' : 'stopping';
  await commitPending();
  const activities = consumerActivities();
  if (activities) await activities.releaseConsumer({ replica }).catch(() => undefined);
  state.consumerTaskQueue = undefined;
  // Stopped, then wanted again (SENSOR_REPLICAS lowered and raised): start over as a new run.
  if (restartRequested) await continueAsNewWithState();
}
