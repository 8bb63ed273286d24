// In-flight run accounting (src/workflows/sensor-core/in-flight.ts), without Temporal: which runs
// count against MAX_IN_FLIGHT_RUNS, when they stop counting, and what continue-as-new carries.

import { describe, expect, it } from 'vitest';
import {
  CARRIED_RUNS_FIRST_CHECK_MS,
  carriedRunIds,
  carriedStillRunning,
  firstSlotCheckMs,
  freeSlots,
  hasFreeSlot,
  inFlight,
  keepAliveMs,
  noRunsInFlight,
  runClosed,
  runFinished,
  runStarted,
  unfinishedRuns,
} from '../../../src/workflows/sensor-core';
import { SETTINGS, deepFreeze, sensorWith } from './helpers';

const AT = '2026-12-01T00:00:00.000Z';

describe('runs in flight', () => {
  it('counts the runs this run started and those carried over from before continue-as-new', () => {
    let sensor = sensorWith({ carriedRuns: ['c1', 'c1', 'c2'] });
    expect(inFlight(sensor)).toBe(2);
    sensor = runStarted(sensor, 'r1');
    sensor = runStarted(sensor, 'r1');
    expect(inFlight(sensor)).toBe(3);
    expect(noRunsInFlight(sensor)).toBe(false);
  });

  it('takes no records at the limit, and asks each call for no more batches than free slots', () => {
    let sensor = sensorWith();
    expect(freeSlots(sensor)).toBe(3);
    sensor = runStarted(runStarted(sensor, 'r1'), 'r2');
    expect(freeSlots(sensor)).toBe(1);
    expect(hasFreeSlot(sensor)).toBe(true);
    sensor = runStarted(sensor, 'r3');
    expect(hasFreeSlot(sensor)).toBe(false);
    // New settings with a lower limit apply at once.
    expect(hasFreeSlot({ ...runClosed(sensor, 'r3'), settings: { ...SETTINGS, maxInFlightRuns: 2 } })).toBe(false);
  });

  it('a run that closed stops counting; a carried run stops counting only when it says it finished', () => {
    let sensor = runStarted(sensorWith({ carriedRuns: ['c1'] }), 'r1');
    sensor = runClosed(runClosed(sensor, 'r1'), 'c1');
    expect(inFlight(sensor)).toBe(1);
    sensor = runFinished(sensor, 'c1', AT);
    expect(inFlight(sensor)).toBe(0);
    expect(noRunsInFlight(sensor)).toBe(true);
  });

  it('a run started again under a carried ID counts twice until it says it finished', () => {
    let sensor = runStarted(sensorWith({ carriedRuns: ['x'] }), 'x');
    expect(inFlight(sensor)).toBe(2);
    sensor = runFinished(sensor, 'x', AT);
    expect(inFlight(sensor)).toBe(0);
  });

  it('a finished run that said it holds its records is no longer the current error', () => {
    const held = { message: 'run r1 holds its records: sink down', at: AT, run: 'r1' };
    const sensor = runFinished(runStarted(sensorWith({ lastError: held }), 'r1'), 'r1', 'later');
    expect(sensor.state.lastError).toEqual({ ...held, recoveredAt: 'later' });
    // Another run finishing leaves it as it is.
    expect(runFinished(sensorWith({ lastError: held }), 'r2', 'later').state.lastError).toEqual(held);
  });

  it('forgets carried runs that are no longer running (a terminated run sends nothing)', () => {
    const sensor = runStarted(sensorWith({ carriedRuns: ['c1', 'c2', 'c3'] }), 'r1');
    expect(carriedRunIds(sensor)).toEqual(['c1', 'c2', 'c3']);
    const after = carriedStillRunning(sensor, ['c2', 'r1']);
    expect(carriedRunIds(after)).toEqual(['c2']);
    expect(inFlight(after)).toBe(2);
  });

  it('looks again soon at the limit when carried runs may have ended unseen, else after the keep-alive', () => {
    expect(firstSlotCheckMs(sensorWith({ carriedRuns: ['c1'] }))).toBe(CARRIED_RUNS_FIRST_CHECK_MS);
    expect(firstSlotCheckMs(sensorWith())).toBe(keepAliveMs(SETTINGS));
  });

  it('carries this run’s unfinished runs first, then those it carried', () => {
    const sensor = runStarted(runStarted(sensorWith({ carriedRuns: ['c1'] }), 'r2'), 'r1');
    expect(unfinishedRuns(sensor)).toEqual(['r2', 'r1', 'c1']);
  });

  it('leave the sensor they are given unchanged', () => {
    const sensor = deepFreeze(runStarted(sensorWith({ carriedRuns: ['c1'] }), 'r1'));
    runFinished(runClosed(runStarted(sensor, 'r2'), 'r1'), 'c1', AT);
    carriedStillRunning(sensor, []);
    expect([...sensor.runs.tracked]).toEqual(['r1']);
    expect([...sensor.runs.carried]).toEqual(['c1']);
  });
});
