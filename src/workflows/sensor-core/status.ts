// What the `status` query shows of a sensor (`npm run describe`, the worker's readiness checks and
// its metrics read it). Neighbours: ./state.ts, ./lifecycle.ts (the phase shown while stopping).

import { inFlight } from './in-flight';
import { shownPhase } from './lifecycle';
import type { Phase, Sensor, SensorSettings, SensorState } from './state';

export interface SensorStatus extends Omit<SensorState, 'carriedRuns' | 'skipThrough'> {
  workflowId: string;
  topic: string;
  replica: number;
  phase: Phase;
  inFlightRuns: number;
  settings: SensorSettings;
}

export function statusOf(sensor: Sensor, workflowId: string): SensorStatus {
  const { carriedRuns: _c, skipThrough: _s, ...rest } = sensor.state;
  return {
    ...rest,
    workflowId,
    topic: sensor.topic,
    replica: sensor.replica,
    phase: shownPhase(sensor),
    inFlightRuns: inFlight(sensor),
    settings: sensor.settings,
  };
}
