// Shared by the sensor-core tests: batches as the consumer cuts them, what continue-as-new does to
// the state, and a deep freeze that makes any change to a decision's input throw.

import type { RunBatch } from '../../../src/batch';
import type { SensorState } from '../../../src/workflows/sensor-core';

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
