// Waking a sensor that waits between ticks (src/workflows/sensor-core/wake.ts), without Temporal:
// only the latest call's token counts, and a wait cut short by records is counted.

import { describe, expect, it } from 'vitest';
import { afterWaitBetweenTicks, nextWake, recordsWaitingFor } from '../../../src/workflows/sensor-core';
import { sensorWith } from './helpers';

const RUN = { workflowId: 'sensor-events-2@g', runId: 'run7' };

describe('the wake signal', () => {
  it('names each call by the run and its number, for the sensor’s current run', () => {
    const first = nextWake(sensorWith(), RUN);
    const second = nextWake(first.sensor, RUN);
    expect(first.wake).toEqual({ workflowId: 'sensor-events-2@g', token: 'run7/1' });
    expect(second.wake.token).toBe('run7/2');
  });

  it('counts only for the latest call: a late signal from an older call wakes nothing', () => {
    const first = nextWake(sensorWith(), RUN);
    const second = nextWake(first.sensor, RUN).sensor;
    expect(recordsWaitingFor(second, first.wake.token).recordsWaiting).toBe(false);
    expect(recordsWaitingFor(second, 'run7/2').recordsWaiting).toBe(true);
  });

  it('is forgotten once the next call is made', () => {
    const woken = recordsWaitingFor(nextWake(sensorWith(), RUN).sensor, 'run7/1');
    expect(nextWake(woken, RUN).sensor.recordsWaiting).toBe(false);
  });

  it('a wait between ticks cut short by records counts as a wake; one that ran out does not', () => {
    const waiting = nextWake(sensorWith({ wakes: 2 }), RUN).sensor;
    expect(afterWaitBetweenTicks(waiting).state.wakes).toBe(2);
    expect(afterWaitBetweenTicks(recordsWaitingFor(waiting, 'run7/1')).state.wakes).toBe(3);
  });
});
