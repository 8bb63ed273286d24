// KafkaSensor: one long-running workflow per sensor replica, ticking like a cron-scheduled sensor.
// A tick runs consume-batch in a loop for up to MAX_SENSOR_TICK_RUNTIME; every batch becomes a
// child MicroBatchRun. A tick ends early when a call finds nothing (the topic is idle); then the
// sensor waits TIME_BETWEEN_SENSOR_TICKS on a durable timer, cut short when records arrive (the
// consumer's worker signals it, see src/sensor-wake.ts). While records flow, ticks follow each
// other at once: a record waits about MAX_BATCH_WAIT for its batch, never for the timer.
//
// This file only wires: the decisions are plain functions over the sensor's state in
// ./sensor-core (unit-tested without Temporal), and here they meet activities, child workflows,
// signals and timers. Guarantees kept, and where each is decided:
// - at-least-once: a partition's offset is committed only after the runs holding every record
//   below it have started (the commit rides on the next consume-batch call); a partition whose run
//   could not be started is read again from that batch, even across ticks and continue-as-new
//   (sensor-core/offsets.ts);
// - idempotent starts: a run's workflow ID comes from its offsets; an ID whose run is running or
//   completed counts as started, while one whose run failed, timed out or was terminated is run
//   again (WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY, below): a batch that was not loaded
//   is never taken for done;
// - backpressure: at most maxInFlightRuns started-but-unfinished runs; beyond it no records are
//   taken, so they wait in Kafka as lag (sensor-core/in-flight.ts);
// - bounded history: every loop (ticks, a pause, the in-flight limit, claims that keep failing)
//   continues as new when the history grows long (./history.ts), carrying counters and state
//   (sensor-core/lifecycle.ts);
// - a topic deleted and created again is noticed: the sensor halts and says so instead of taking
//   the new records for ones already loaded (sensor-core/halt.ts);
// - a stop followed by new settings (SENSOR_REPLICAS lowered, then raised again) restarts the
//   sensor instead of ending it (sensor-core/lifecycle.ts);
// - a reset of the group's offsets (`npm run reset`, resetOffsetsSignal) is applied by the sensor
//   itself, at a safe point: it stops taking records, waits for its in-flight runs, drops pending
//   commits, then its consumer commits the targets of the partitions it holds and seeks to them
//   (sensor-core/reset.ts says why).

import {
  ActivityFailure,
  CancellationScope,
  isCancellation,
  log,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { RunBatch } from '../batch';
import type { ConsumeInput, ConsumeResult, SensorActivities } from '../activities/sensor-activities';
import { RECORDS_WAITING_SIGNAL } from '../sensor-wake';
import { historyIsLong } from './history';
import { startRunChild } from './start-run-child';
import { runFinishedSignal, runHeldSignal } from './micro-batch-run';
import * as core from './sensor-core';

export type { OffsetReset, ResetOutcome, SensorInput, SensorSettings, SensorState, SensorStatus } from './sensor-core';

export const pauseSignal = defineSignal('pause');
/** Resumes a paused sensor, or a halted one (see SensorState.halted) once someone has looked. */
export const resumeSignal = defineSignal('resume');
/** Ends the sensor cleanly: it commits what it may, leaves the consumer group and completes. */
export const stopSignal = defineSignal('stop');
/**
 * New settings from `npm run worker`, applied from the next consume-batch call on. Sent to a sensor
 * that is stopping, it means "keep running" (the replica was wanted again): it restarts.
 */
export const applySettingsSignal = defineSignal<[core.SensorSettings]>('applySettings');
export const statusQuery = defineQuery<core.SensorStatus>('status');
/**
 * Moves the group's committed offsets (`npm run reset`); sent to every sensor of the pipeline, each
 * applies it to the partitions it holds and reports in `status` (lastReset).
 */
export const resetOffsetsSignal = defineSignal<[core.OffsetReset]>('resetOffsets');
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

/** What a failure says: an activity's own error rather than Temporal's wrapper around it. */
function errorMessage(err: unknown): string {
  return err instanceof ActivityFailure && err.cause ? err.cause.message : String((err as Error)?.message ?? err);
}

/** Workflow time, as the state records it. */
const now = () => new Date().toISOString();

export async function KafkaSensor(input: core.SensorInput): Promise<void> {
  /** The sensor's state and settings; every change goes through a sensor-core decision. */
  let sensor = core.startSensor(input);
  /** The call on the consumer's worker now under way, if any (see onConsumer). */
  let consumerCall: CancellationScope | undefined;

  setHandler(runFinishedSignal, (workflowId) => void (sensor = core.runFinished(sensor, workflowId, now())));
  setHandler(runHeldSignal, (workflowId, cause) => void (sensor = core.runHeld(sensor, workflowId, cause, now())));
  setHandler(recordsWaitingSignal, (token) => void (sensor = core.recordsWaitingFor(sensor, token)));
  setHandler(consumerReleasedSignal, (taskQueue) => {
    const next = core.consumerReleased(sensor, taskQueue);
    if (!next) return;
    sensor = next;
    consumerCall?.cancel();
  });
  setHandler(resetOffsetsSignal, (request) => {
    sensor = core.withState(sensor, (state) => core.resetRequested(state, request, now()));
  });
  setHandler(pauseSignal, () => void (sensor = core.paused(sensor)));
  setHandler(resumeSignal, () => {
    const { halted } = sensor.state;
    if (halted) log.info('halted sensor resumed by signal', { reason: halted.reason });
    sensor = core.resumed(sensor);
  });
  setHandler(stopSignal, () => void (sensor = core.stopRequested(sensor)));
  setHandler(applySettingsSignal, (next) => void (sensor = core.settingsApplied(sensor, next)));
  setHandler(statusQuery, () => core.statusOf(sensor, workflowInfo().workflowId));

  const failedWith = (err: unknown) => void (sensor = core.failed(sensor, errorMessage(err), now()));
  /** Waits before the next attempt after a failure (or until a stop). */
  const backoff = () => condition(() => sensor.stopping, core.backoffMs(sensor));

  function consumerActivities(): SensorActivities | undefined {
    const taskQueue = sensor.state.consumerTaskQueue;
    if (!taskQueue) return undefined;
    return proxyActivities<SensorActivities>({
      taskQueue,
      // If the process holding the consumer died, nobody polls its queue: give up soon and
      // re-home the consumer (a live worker has free slots and picks a task up in milliseconds).
      scheduleToStartTimeout: '10 seconds',
      startToCloseTimeout: core.consumerCallTimeoutMs(sensor.settings),
      retry: { maximumAttempts: 1 },
    });
  }

  /**
   * Claims the replica's consumer until some worker holds it; false if the sensor is stopping or
   * its history grew long (the caller then continues as new and claims again from there).
   */
  async function ensureConsumer(): Promise<boolean> {
    while (core.needsConsumer(sensor, historyIsLong())) {
      sensor = core.inPhase(sensor, 'claiming consumer');
      try {
        const { taskQueue } = await shared.claimConsumer(core.claimInput(sensor));
        sensor = core.claimed(sensor, taskQueue, now());
      } catch (err) {
        failedWith(err);
        await backoff();
      }
    }
    return core.holdsConsumer(sensor);
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
    let released: boolean;
    ({ sensor, released } = core.consumerLost(
      sensor,
      { cancelled: isCancellation(err), message: errorMessage(err) },
      now(),
    ));
    return released;
  }

  /** Commits pending offsets outside a consume-batch call (see core.commitInput for `leaseMs`). */
  async function commitPending(leaseMs?: number): Promise<void> {
    const activities = consumerActivities();
    if (!activities) return;
    const commit = core.commitInput(sensor.state, sensor.replica, leaseMs);
    try {
      const settled = await onConsumer(() => activities.commitOffsets(commit));
      sensor = core.withState(sensor, (state) => core.acknowledgeCommits(state, settled));
    } catch (err) {
      loseConsumer(err);
    }
  }

  /**
   * Waits until `done`, the sensor is stopping or its history grew long, while the consumer keeps
   * its partitions (their records wait in Kafka). The consumer is touched after each wait, and the
   * waits grow (sensor-core/keep-alive.ts). `eachTurn` runs before each touch.
   */
  async function holdConsumerUntil(
    done: (sensor: core.Sensor) => boolean,
    firstWaitMs: number,
    eachTurn?: () => Promise<void>,
  ) {
    let waitMs = firstWaitMs;
    while (core.keepsWaiting(sensor, done(sensor), historyIsLong())) {
      if (await condition(() => done(sensor) || sensor.stopping, waitMs)) return;
      waitMs = core.nextHoldWaitMs(sensor, waitMs);
      await eachTurn?.();
      await commitPending(core.holdLeaseMs(sensor, waitMs));
    }
  }

  /** Forgets carried runs that are no longer running (a terminated run sends nothing). */
  async function checkCarried(): Promise<void> {
    const ids = core.carriedRunIds(sensor);
    if (ids.length === 0) return;
    const running = await shared.findUnfinishedRuns(ids).catch(() => core.carriedRunIds(sensor));
    sensor = core.carriedStillRunning(sensor, running);
  }

  /**
   * Waits for a free in-flight slot. Runs tell the sensor when they end (runFinishedSignal); runs
   * started before continue-as-new are also checked by query now and then, in case one was
   * terminated (a terminated run sends nothing).
   */
  async function waitForFreeSlot(): Promise<void> {
    if (core.hasFreeSlot(sensor)) return;
    sensor = core.inPhase(sensor, 'at in-flight limit');
    await holdConsumerUntil(core.hasFreeSlot, core.firstSlotCheckMs(sensor), checkCarried);
  }

  async function startRuns(batches: RunBatch[]): Promise<void> {
    const outcomes = await Promise.all(batches.map((batch) => startRun(batch)));
    sensor = core.withState(sensor, (state) => core.recordStartOutcomes(state, batches, outcomes, sensor.groupId));
  }

  async function startRun(batch: RunBatch): Promise<core.StartOutcome> {
    const workflowId = core.runIdOf(sensor.state, batch, sensor.groupId);
    try {
      const handle = await startRunChild({
        workflowId,
        taskQueue: sensor.settings.runsTaskQueue,
        batch,
        settings: sensor.settings.run,
        groupId: sensor.groupId,
        count: batch.count,
        summary: `${batch.topic} partition ${batch.partition}, offsets ${batch.firstOffset}–${batch.lastOffset} (${batch.count} messages)`,
        memo: { sensor: workflowInfo().workflowId, bytes: batch.bytes },
      });
      sensor = core.runStarted(sensor, workflowId);
      const closed = () => void (sensor = core.runClosed(sensor, workflowId));
      handle.result().then(closed, closed);
      return 'started';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already started';
      failedWith(err);
      return 'failed';
    }
  }

  /** One tick (sensor-core/tick.ts). Returns true when it ended caught up: the topic is idle. */
  async function runTick(afterWait: boolean): Promise<boolean> {
    let tick: core.Tick;
    ({ sensor, tick } = core.tickStarted(sensor, Date.now(), afterWait));
    while (core.tickGoesOn(sensor, tick, Date.now(), historyIsLong())) {
      await waitForFreeSlot();
      if (core.slotWaitEndsTick(sensor)) break;
      // (An activities proxy is never returned from an async function: awaiting it would look up
      // an activity named "then".)
      if (!(await ensureConsumer())) break;
      const activities = consumerActivities()!;
      sensor = core.inPhase(sensor, 'consuming');
      let call: ConsumeInput;
      ({ sensor, call } = core.nextConsumeCall(sensor, tick, workflowInfo()));
      let result: ConsumeResult;
      try {
        result = await onConsumer(() => activities.consumeBatch(call));
      } catch (err) {
        sensor = core.consumeFailed(sensor);
        if (!loseConsumer(err)) await backoff();
        continue;
      }
      const recreated = core.topicRecreated(result);
      if (recreated) {
        sensor = core.haltForRecreatedTopic(sensor, recreated, now());
        log.error('sensor halted: topic recreated', {
          topic: sensor.topic,
          replica: sensor.replica,
          partitions: core.recreatedPartitions(recreated),
        });
        break;
      }
      ({ sensor, tick } = core.consumed(sensor, tick, call, result, now()));
      await startRuns(result.batches);
      if (tick.caughtUp) break;
    }
    if (core.commitsAtTickEnd(sensor)) await commitPending();
    return tick.caughtUp;
  }

  /**
   * Applies the pending reset (see resetOffsetsSignal). Returns without it when the sensor is
   * stopping, its history grew long (the request is carried through continue-as-new) or a call
   * failed (tried again on the next turn of the main loop).
   */
  async function applyReset(request: core.OffsetReset): Promise<void> {
    let proceed: boolean;
    ({ sensor, proceed } = core.resetBegins(sensor, request, now()));
    if (!proceed) return;
    await holdConsumerUntil(core.noRunsInFlight, core.CARRIED_RUNS_FIRST_CHECK_MS, checkCarried);
    if (!core.resetMayGoOn(sensor) || !(await ensureConsumer())) return;
    const activities = consumerActivities()!;
    // Runs started while the request waited added pending commits of these partitions: drop them.
    sensor = core.withState(sensor, (state) => core.dropForReset(state, request.targets));
    try {
      const applied = await onConsumer(() => activities.resetOffsets(core.resetInput(sensor, request)));
      sensor = core.resetApplied(sensor, request, applied, now());
      log.info('offsets reset', { reset: request.id, applied });
    } catch (err) {
      if (!loseConsumer(err)) await backoff();
    }
  }

  async function continueAsNewWithState(): Promise<never> {
    return continueAsNew<typeof KafkaSensor>({ ...input, ...core.carryOver(sensor) });
  }

  /**
   * A tick, then the wait between ticks if it ended caught up. Returns whether that wait ran its
   * full time (then the next tick takes what is buffered at once, see Tick.afterWait).
   */
  async function tickThenWait(afterWait: boolean): Promise<boolean> {
    const caughtUp = await runTick(afterWait);
    if (!core.waitsBetweenTicks(sensor, caughtUp)) return false;
    sensor = core.inPhase(sensor, 'waiting between ticks');
    // condition() is false when the wait ran its full time (not cut short by records, pause or stop).
    const cut = await condition(() => core.waitBetweenTicksCut(sensor), sensor.settings.timeBetweenTicksMs);
    sensor = core.afterWaitBetweenTicks(sensor);
    return !cut;
  }

  /** The last tick ended caught up and the sensor has waited TIME_BETWEEN_SENSOR_TICKS since. */
  let waited = false;
  let step: core.Step;
  while ((step = core.nextStep(sensor, historyIsLong())) !== 'stop') {
    switch (step) {
      case 'continue as new':
        await continueAsNewWithState();
        break;
      case 'apply reset':
        await applyReset(sensor.state.resetRequest!);
        break;
      case 'hold':
        sensor = core.inPhase(sensor, core.holdPhase(sensor));
        // Commit what has started; keep the partitions (their records wait in Kafka).
        await commitPending();
        await holdConsumerUntil(core.holdEnds, core.keepAliveMs(sensor.settings));
        break;
      case 'tick':
        waited = await tickThenWait(waited);
    }
  }

  sensor = core.inPhase(sensor, core.stopPhase(sensor));
  await commitPending();
  const activities = consumerActivities();
  if (activities) await activities.releaseConsumer({ replica: sensor.replica }).catch(() => undefined);
  sensor = core.withoutConsumer(sensor);
  // Stopped, then wanted again (SENSOR_REPLICAS lowered and raised): start over as a new run.
  if (sensor.restartRequested) await continueAsNewWithState();
}
