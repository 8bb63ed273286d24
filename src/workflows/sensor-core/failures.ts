// What the sensor remembers of failures: the last error for `status` (with when it was over), the
// failures in a row that pace its retries, and errors that belong to a run rather than to the
// sensor's own calls. Neighbours: ./consumer.ts and ./tick.ts (which calls fail or work again),
// ./in-flight.ts (a run that finished).

import type { Sensor, SensorState } from './state';

/** A claim or call failed with `message`. */
export function failed(sensor: Sensor, message: string, at: string): Sensor {
  return {
    ...sensor,
    state: { ...sensor.state, lastError: { message, at } },
    failuresInARow: sensor.failuresInARow + 1,
  };
}

/** A call worked: the last error, if any, is history now. */
export function recovered(sensor: Sensor, at: string): Sensor {
  const { lastError } = sensor.state;
  // A run's trouble is over when that run ends, not when the sensor's own calls work.
  const over = lastError && !lastError.recoveredAt && !lastError.run;
  return {
    ...sensor,
    failuresInARow: 0,
    state: over ? { ...sensor.state, lastError: { ...lastError, recoveredAt: at } } : sensor.state,
  };
}

/** A run said it holds its records (runHeldSignal): shown as the last error until that run ends. */
export function runHeld(sensor: Sensor, workflowId: string, cause: string, at: string): Sensor {
  const lastError = { message: `run ${workflowId} holds its records: ${cause}`, at, run: workflowId };
  return { ...sensor, state: { ...sensor.state, lastError } };
}

/** Run `workflowId` ended: the error it reported, if it is the last one, is over. */
export function runRecovered(state: SensorState, workflowId: string, at: string): SensorState {
  const { lastError } = state;
  if (lastError?.run !== workflowId || lastError.recoveredAt) return state;
  return { ...state, lastError: { ...lastError, recoveredAt: at } };
}

/** Wait before the next attempt after a failure: 1 s, doubling, at most SENSOR_RETRY_MAX_BACKOFF. */
export function backoffMs(sensor: Sensor): number {
  return Math.min(sensor.settings.retryMaxBackoffMs, 1_000 * 2 ** Math.min(sensor.failuresInARow - 1, 20));
}
