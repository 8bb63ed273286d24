// The sensor's state and its start (src/workflows/sensor-core/state.ts), without Temporal: a first
// start, and a start from what continue-as-new carried.

import { describe, expect, it } from 'vitest';
import { inFlight, initialSensorState, inPhase, startSensor, withState } from '../../../src/workflows/sensor-core';
import { SETTINGS, deepFreeze } from './helpers';

const input = { topic: 'events', groupId: 'g', replica: 1, settings: SETTINGS };

describe('the sensor at the start of a run', () => {
  it('on a first start has counted nothing, holds no consumer and has nothing in flight', () => {
    const sensor = startSensor(input);
    expect(sensor.state).toEqual(initialSensorState());
    expect(sensor).toMatchObject({
      topic: 'events',
      groupId: 'g',
      replica: 1,
      settings: SETTINGS,
      phase: 'starting',
      stopping: false,
      restartRequested: false,
      failuresInARow: 0,
      checkTopic: true,
      released: false,
      calls: 0,
      recordsWaiting: false,
    });
    expect(sensor.state.consumerTaskQueue).toBeUndefined();
    expect(inFlight(sensor)).toBe(0);
  });

  it('after continue-as-new goes on from the carried state, its unfinished runs still in flight', () => {
    const state = { ...initialSensorState(), ticks: 40, carriedRuns: ['a', 'b'], consumerTaskQueue: 'w1' };
    const sensor = startSensor({ ...input, state });
    expect(sensor.state).toBe(state);
    expect(inFlight(sensor)).toBe(2);
    // What the previous run knew only for itself starts afresh.
    expect(sensor).toMatchObject({ failuresInARow: 0, calls: 0, stopping: false });
  });

  it('changes only through new values', () => {
    const sensor = deepFreeze(startSensor(input));
    expect(withState(sensor, (s) => ({ ...s, ticks: 1 })).state.ticks).toBe(1);
    expect(inPhase(sensor, 'consuming').phase).toBe('consuming');
    expect(sensor.state.ticks).toBe(0);
    expect(sensor.phase).toBe('starting');
  });
});
