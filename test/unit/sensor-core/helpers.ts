// Shared by the sensor-core tests: batches as the consumer cuts them, what continue-as-new does to
// the state, a deep freeze that makes any change to a decision's input throw, and a sensor to start from.

import type { RunBatch } from '../../../src/batch';
import {
  initialSensorState,
  startSensor,
  type Sensor,
  type SensorSettings,
  type SensorState,
} from '../../../src/workflows/sensor-core';

/** A batch of offsets first..last of one partition of topic `events`. */
export function range(partition: number, first: number, last: number): RunBatch {
  return {
    topic: 'events',
    partition,
    firstOffset: String(first),
    lastOffset: String(last),
    count: last - first + 1,
    bytes: 10,
  };
}

/** What continue-as-new does to the state: it is serialized into the next run's input. */
export const carriedOver = (state: SensorState): SensorState => JSON.parse(JSON.stringify(state)) as SensorState;

/** Freezes `value` and everything it holds: a decision that changes its input then throws. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Settings as `npm run worker` would give them, small enough to reason about. */
export const SETTINGS: SensorSettings = {
  maxBatchSize: 10,
  maxBatchBytes: 100_000,
  maxResultBytes: 1_572_864,
  maxBatchWaitMs: 500,
  maxTickRuntimeMs: 30_000,
  timeBetweenTicksMs: 5_000,
  retryMaxBackoffMs: 60_000,
  maxInFlightRuns: 3,
  runsTaskQueue: 'runs',
  run: { maxAttempts: 2, retryInitialIntervalMs: 100, activityTimeoutMs: 30_000, outageMaxBackoffMs: 30_000 },
};

/** A sensor of replica 2 on topic `events`, group `g`, first started, with `state` and `change` applied. */
export function sensorWith(state: Partial<SensorState> = {}, change: Partial<Sensor> = {}): Sensor {
  const started = startSensor({
    topic: 'events',
    groupId: 'g',
    replica: 2,
    settings: SETTINGS,
    state: { ...initialSensorState(), ...state },
  });
  return { ...started, ...change };
}

/** Some fields of `value`, to compare exactly (toMatchObject would take `{}` for any object). */
export function pick<T extends object, K extends keyof T>(value: T, ...keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, value[k]])) as Pick<T, K>;
}
