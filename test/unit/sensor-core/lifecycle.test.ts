// The sensor's life (src/workflows/sensor-core/lifecycle.ts), without Temporal: the main loop's
// next step, stop and restart, and what continue-as-new carries.

import { describe, expect, it } from 'vitest';
import {
  carryOver,
  inFlight,
  keepsWaiting,
  nextStep,
  recordStartOutcomes,
  runStarted,
  settingsApplied,
  shownPhase,
  startSensor,
  stopPhase,
  stopRequested,
  type SensorInput,
} from '../../../src/workflows/sensor-core';
import { SETTINGS, carriedOver, range, sensorWith } from './helpers';

const AT = '2026-12-01T00:00:00.000Z';

describe('the main loop', () => {
  it('ticks when nothing else is due', () => {
    expect(nextStep(sensorWith(), false)).toBe('tick');
  });

  it('holds while paused or halted, applies a pending reset first, continues as new when history is long, and ends on a stop', () => {
    const paused = sensorWith({ paused: true });
    expect(nextStep(paused, false)).toBe('hold');
    expect(nextStep(sensorWith({ halted: { reason: 'x', at: AT } }), false)).toBe('hold');
    const resetting = sensorWith({ paused: true, resetRequest: { id: 'r', targets: [] } });
    expect(nextStep(resetting, false)).toBe('apply reset');
    expect(nextStep(resetting, true)).toBe('continue as new');
    expect(nextStep({ ...resetting, stopping: true }, true)).toBe('stop');
  });

  it('every wait ends when its goal is met, on a stop, or when the history grew long', () => {
    expect(keepsWaiting(sensorWith(), false, false)).toBe(true);
    expect(keepsWaiting(sensorWith(), true, false)).toBe(false);
    expect(keepsWaiting(sensorWith(), false, true)).toBe(false);
    expect(keepsWaiting(sensorWith({}, { stopping: true }), false, false)).toBe(false);
  });
});

describe('stop and restart', () => {
  it('a stop shows at once in status, whatever the sensor was doing', () => {
    const sensor = stopRequested(sensorWith({}, { phase: 'waiting between ticks' }));
    expect(shownPhase(sensor)).toBe('stopping');
    expect(shownPhase(sensorWith({}, { phase: 'consuming' }))).toBe('consuming');
  });

  it('settings arriving after a stop mean the replica is wanted again: it restarts once stopped', () => {
    const next = { ...SETTINGS, maxBatchSize: 99 };
    const sensor = settingsApplied(stopRequested(sensorWith()), next);
    expect(sensor.settings).toBe(next);
    expect(sensor.restartRequested).toBe(true);
    expect([shownPhase(sensor), stopPhase(sensor)]).toEqual(['restarting', 'restarting']);
  });

  it('settings while running apply without a restart; a later stop cancels a requested restart', () => {
    expect(settingsApplied(sensorWith(), SETTINGS).restartRequested).toBe(false);
    const again = stopRequested(settingsApplied(stopRequested(sensorWith()), SETTINGS));
    expect(again.restartRequested).toBe(false);
    expect(stopPhase(again)).toBe('stopping');
  });
});

describe('continue-as-new', () => {
  it('carries the latest settings, the counters, offsets and every unfinished run, and counts itself', () => {
    let sensor = sensorWith({ carriedRuns: ['c1'], continuedAsNew: 2 });
    sensor = {
      ...sensor,
      state: recordStartOutcomes(sensor.state, [range(0, 0, 9), range(1, 0, 4)], ['started', 'failed'], 'g'),
    };
    sensor = settingsApplied(runStarted(sensor, 'r1'), { ...SETTINGS, maxInFlightRuns: 7 });
    const carried = carryOver(sensor);
    expect(carried.settings.maxInFlightRuns).toBe(7);
    expect(carried.state).toEqual({
      ...sensor.state,
      continuedAsNew: 3,
      carriedRuns: ['r1', 'c1'],
    });

    // The next run starts from it, as the input travels (JSON), with those runs still in flight.
    const first: SensorInput = { topic: 'events', groupId: 'g', replica: 2, settings: SETTINGS };
    const next = startSensor({ ...first, ...carried, state: carriedOver(carried.state) });
    expect(inFlight(next)).toBe(2);
    expect(next.state.rewind).toEqual({ 1: '0' });
    expect(next.state.pendingCommit).toEqual({ 0: '10' });
  });
});
