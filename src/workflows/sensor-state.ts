// Kept only for test/unit/replay-plan.test.ts, which still imports a sensor's reset steps from
// here: the sensor's state and decisions moved to ./sensor-core, whose functions return a new
// state. These wrappers apply them in place, as this module's functions did. Delete this file once
// that test imports ./sensor-core.

import type { PartitionOffset } from '../batch';
import * as core from './sensor-core';

export { initialSensorState, type OffsetReset, type SensorState } from './sensor-core';

/** @deprecated Use dropForReset from ./sensor-core, which returns the new state. */
export function dropForReset(state: core.SensorState, targets: PartitionOffset[]): void {
  Object.assign(state, core.dropForReset(state, targets));
}

/** @deprecated Use resetDone from ./sensor-core, which returns the new state. */
export function resetDone(
  state: core.SensorState,
  request: core.OffsetReset,
  applied: PartitionOffset[],
  at: string,
): void {
  Object.assign(state, core.resetDone(state, request, applied, at));
}
