// How a sensor waiting between ticks is woken when records arrive: each consume-batch call carries
// a token naming it (the run ID and the call's number); a call that found nothing asks the
// consumer's worker to signal that token when the next record comes (src/sensor-wake.ts). Only the
// latest call's token counts, so a late signal from an older call wakes nothing. Neighbours:
// ./tick.ts (the wait between ticks), ../sensor.ts (recordsWaitingSignal).

import type { WakeRequest } from '../../sensor-wake';
import type { Sensor } from './state';

/** The wake request of the next consume-batch call; from then on only its signal counts. */
export function nextWake(
  sensor: Sensor,
  run: { workflowId: string; runId: string },
): { sensor: Sensor; wake: WakeRequest } {
  const calls = sensor.calls + 1;
  const wake = { workflowId: run.workflowId, token: `${run.runId}/${calls}` };
  return { sensor: { ...sensor, calls, wakeToken: wake.token, recordsWaiting: false }, wake };
}

/** recordsWaitingSignal arrived with `token`: records wait, if it is the latest call's. */
export function recordsWaitingFor(sensor: Sensor, token: string): Sensor {
  return token === sensor.wakeToken ? { ...sensor, recordsWaiting: true } : sensor;
}

/** A wait between ticks ended: counted as a wake when records cut it short. */
export function afterWaitBetweenTicks(sensor: Sensor): Sensor {
  if (!sensor.recordsWaiting) return sensor;
  return { ...sensor, state: { ...sensor.state, wakes: sensor.state.wakes + 1 } };
}
