// One tick, decided: when it goes on and when it ends, what each consume-batch call asks for, what
// its result changes, and whether the sensor then waits between ticks. A tick runs consume-batch
// for up to MAX_SENSOR_TICK_RUNTIME; it ends early when a call finds nothing (the topic is idle).
// A call that found records, even fewer than a full batch, does not end it: more are likely on
// their way, and the next call waits MAX_BATCH_WAIT for them. While records flow, ticks follow each
// other at once: a record waits about MAX_BATCH_WAIT for its batch, never for the timer.
// Neighbours: ./offsets.ts (commits and rewinds ride on the calls), ./wake.ts, ./in-flight.ts,
// ../sensor.ts (runTick, the loop that makes the calls).

import type { ConsumeInput, ConsumeResult, TopicReset } from '../../activities/sensor-activities';
import { recovered } from './failures';
import { freeSlots, hasFreeSlot } from './in-flight';
import { idleTimeoutMs } from './keep-alive';
import { acknowledgeCommits, commitsToSend, rewindsApplied, rewindsToSend } from './offsets';
import type { Sensor } from './state';
import { nextWake } from './wake';

export interface Tick {
  /** When (ms since the epoch, workflow time) the tick stops making calls. */
  endsAt: number;
  /**
   * The tick follows a full wait between ticks, so whatever is buffered has waited long enough:
   * its first call takes it at once instead of waiting MAX_BATCH_WAIT for a full batch.
   */
  afterWait: boolean;
  firstCall: boolean;
  /** The last call found nothing: the topic is idle. */
  caughtUp: boolean;
}

export function tickStarted(sensor: Sensor, now: number, afterWait: boolean): { sensor: Sensor; tick: Tick } {
  return {
    sensor: { ...sensor, state: { ...sensor.state, ticks: sensor.state.ticks + 1 }, checkTopic: true },
    tick: { endsAt: now + sensor.settings.maxTickRuntimeMs, afterWait, firstCall: true, caughtUp: false },
  };
}

/**
 * Whether the tick makes another call: not past its runtime, and the sensor is not paused, halted,
 * resetting, stopping or due to continue as new.
 */
export function tickGoesOn(sensor: Sensor, tick: Tick, now: number, historyLong: boolean): boolean {
  const { paused, halted, resetRequest } = sensor.state;
  return now < tick.endsAt && !paused && !halted && !resetRequest && !sensor.stopping && !historyLong;
}

/** After waiting for a free slot: the tick ends if the sensor is stopping or still at the limit. */
export function slotWaitEndsTick(sensor: Sensor): boolean {
  return sensor.stopping || !hasFreeSlot(sensor);
}

/** The next consume-batch call: pending commits and rewinds ride on it, with its wake request. */
export function nextConsumeCall(
  sensor: Sensor,
  tick: Tick,
  run: { workflowId: string; runId: string },
): { sensor: Sensor; call: ConsumeInput } {
  const commit = commitsToSend(sensor.state);
  const rewind = rewindsToSend(sensor.state);
  const woken = nextWake(sensor, run);
  const { settings, state } = woken.sensor;
  const call: ConsumeInput = {
    replica: sensor.replica,
    commit,
    rewind,
    idleTimeoutMs: idleTimeoutMs(settings),
    known: state.committed,
    checkTopic: sensor.checkTopic,
    wake: woken.wake,
    request: {
      maxMessages: settings.maxBatchSize,
      maxBytes: settings.maxBatchBytes,
      maxBatches: freeSlots(woken.sensor),
      // With BATCH_PAYLOAD=records the batches travel in one activity result, which must stay
      // under Temporal's 2 MiB limit (with offsets the activity lifts this cap).
      maxTotalBytes: Math.max(settings.maxBatchBytes, settings.maxResultBytes),
      maxWaitMs: tick.firstCall && tick.afterWait ? 0 : settings.maxBatchWaitMs,
      skipThrough: state.skipThrough,
    },
  };
  return { sensor: woken.sensor, call };
}

/** The call failed: the next one checks the topic again. */
export function consumeFailed(sensor: Sensor): Sensor {
  return { ...sensor, checkTopic: true };
}

/** The partitions whose offsets went back below what the group had committed, if any: the topic was recreated. */
export function topicRecreated(result: ConsumeResult): TopicReset[] | undefined {
  return result.topicReset && result.topicReset.length > 0 ? result.topicReset : undefined;
}

/**
 * The call `call` returned `result` (the topic was not recreated): the rewinds it carried are
 * applied, the commits the consumer settled are no longer sent, and the tick is caught up if it
 * found nothing. Its batches are started next (../sensor.ts, startRuns).
 */
export function consumed(
  sensor: Sensor,
  tick: Tick,
  call: ConsumeInput,
  result: ConsumeResult,
  at: string,
): { sensor: Sensor; tick: Tick } {
  const worked = recovered(sensor, at);
  const state = acknowledgeCommits(rewindsApplied(worked.state, call.rewind), result.settled);
  return {
    sensor: { ...worked, checkTopic: false, state: { ...state, assignment: result.assignment } },
    tick: { ...tick, firstCall: false, caughtUp: result.batches.length === 0 },
  };
}

/**
 * Whether the tick's end sends a commit call. Commits ride on consume-batch calls: a tick that
 * ended on an empty call has sent them all (unless refused), and an idle sensor then saves an
 * activity per tick.
 */
export function commitsAtTickEnd(sensor: Sensor): boolean {
  return commitsToSend(sensor.state).length > 0;
}

/** Whether the sensor waits TIME_BETWEEN_SENSOR_TICKS after a tick: only once it caught up. */
export function waitsBetweenTicks(sensor: Sensor, caughtUp: boolean): boolean {
  const { paused, halted } = sensor.state;
  return caughtUp && !sensor.stopping && !paused && !halted && sensor.settings.timeBetweenTicksMs > 0;
}

/** What cuts a wait between ticks short: records arrived, a pause, a stop or a reset request. */
export function waitBetweenTicksCut(sensor: Sensor): boolean {
  return sensor.recordsWaiting || sensor.stopping || sensor.state.paused || !!sensor.state.resetRequest;
}
