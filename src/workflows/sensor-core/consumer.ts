// The replica's Kafka consumer as the sensor sees it: held by some worker, reached on that worker's
// task queue (SensorState.consumerTaskQueue), claimed again when that worker is gone or lost it.
// A worker that shut down cleanly says it released the consumer (consumerReleasedSignal): the call
// then under way ends cancelled, which is no failure. Neighbours: ./keep-alive.ts, ./failures.ts,
// ../sensor.ts (the calls themselves).

import type { ClaimInput } from '../../activities/sensor-activities';
import { failed, recovered } from './failures';
import { idleTimeoutMs } from './keep-alive';
import { keepsWaiting } from './lifecycle';
import type { Sensor, SensorSettings } from './state';

/**
 * Start-to-close timeout of a call on the consumer's worker: a consume-batch call may wait
 * MAX_BATCH_WAIT for records, and gets 30 s more.
 */
export function consumerCallTimeoutMs(settings: SensorSettings): number {
  return settings.maxBatchWaitMs + 30_000;
}

/**
 * Whether to (go on) claiming the consumer: no worker holds it for this sensor, and the sensor is
 * neither stopping nor due to continue as new (it claims again from the new run).
 */
export function needsConsumer(sensor: Sensor, historyLong: boolean): boolean {
  return keepsWaiting(sensor, !!sensor.state.consumerTaskQueue, historyLong);
}

/** Whether the sensor may call its consumer now. */
export function holdsConsumer(sensor: Sensor): boolean {
  return !!sensor.state.consumerTaskQueue && !sensor.stopping;
}

export function claimInput(sensor: Sensor): ClaimInput {
  const { topic, groupId, replica } = sensor;
  return { topic, groupId, replica, idleTimeoutMs: idleTimeoutMs(sensor.settings) };
}

/**
 * A worker holds the consumer now, on `taskQueue`. The next consume-batch call checks the topic
 * was not recreated, as the first call of each tick does.
 */
export function claimed(sensor: Sensor, taskQueue: string, at: string): Sensor {
  const next = recovered({ ...sensor, state: { ...sensor.state, consumerTaskQueue: taskQueue } }, at);
  return { ...next, released: false, checkTopic: true };
}

/**
 * A worker says it released the consumer it held on `taskQueue`. Undefined when that is not (or no
 * longer) this sensor's consumer: nothing to do. Otherwise the call under way is to be cancelled.
 */
export function consumerReleased(sensor: Sensor, taskQueue: string): Sensor | undefined {
  if (sensor.state.consumerTaskQueue !== taskQueue) return undefined;
  return { ...sensor, state: { ...sensor.state, consumerTaskQueue: undefined }, released: true };
}

/**
 * A call on the consumer's worker failed or was cancelled: that worker is gone or lost the
 * consumer, so claim it again (possibly elsewhere). `released` is true when the worker had said it
 * released the consumer and the call ended cancelled: not a failure, no wait before claiming again.
 */
export function consumerLost(
  sensor: Sensor,
  failure: { cancelled: boolean; message: string },
  at: string,
): { sensor: Sensor; released: boolean } {
  const lost: Sensor = { ...sensor, state: { ...sensor.state, consumerTaskQueue: undefined } };
  if (sensor.released && failure.cancelled) return { sensor: { ...lost, released: false }, released: true };
  return { sensor: failed(lost, failure.message, at), released: false };
}

/** The sensor let its consumer go (stopping). */
export function withoutConsumer(sensor: Sensor): Sensor {
  return { ...sensor, state: { ...sensor.state, consumerTaskQueue: undefined } };
}
