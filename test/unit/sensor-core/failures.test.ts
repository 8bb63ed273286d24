// What the sensor remembers of failures (src/workflows/sensor-core/failures.ts), without Temporal:
// the last error and when it was over, failures in a row, the retry backoff.

import { describe, expect, it } from 'vitest';
import { backoffMs, failed, recovered, runHeld, runRecovered } from '../../../src/workflows/sensor-core';
import { SETTINGS, sensorWith } from './helpers';

describe('failures', () => {
  it('a failure is the last error, and counts towards the backoff', () => {
    const sensor = failed(failed(sensorWith(), 'first', 't1'), 'second', 't2');
    expect(sensor.state.lastError).toEqual({ message: 'second', at: 't2' });
    expect(sensor.failuresInARow).toBe(2);
  });

  it('a call that works says when the sensor recovered, once, and resets the count', () => {
    let sensor = recovered(failed(sensorWith(), 'kafka down', 't1'), 't2');
    expect(sensor.state.lastError).toEqual({ message: 'kafka down', at: 't1', recoveredAt: 't2' });
    expect(sensor.failuresInARow).toBe(0);
    sensor = recovered(sensor, 't3');
    expect(sensor.state.lastError?.recoveredAt).toBe('t2');
  });

  it('a run holding its records stays the last error while the sensor’s own calls work, until that run ends', () => {
    let sensor = runHeld(sensorWith(), 'run-a', 'sink down', 't1');
    expect(sensor.state.lastError).toEqual({
      message: 'run run-a holds its records: sink down',
      at: 't1',
      run: 'run-a',
    });
    sensor = recovered(sensor, 't2');
    expect(sensor.state.lastError?.recoveredAt).toBeUndefined();
    expect(runRecovered(sensor.state, 'run-b', 't3').lastError?.recoveredAt).toBeUndefined();
    expect(runRecovered(sensor.state, 'run-a', 't3').lastError?.recoveredAt).toBe('t3');
  });

  it('waits 1 s after a failure, doubling up to SENSOR_RETRY_MAX_BACKOFF', () => {
    const after = (failures: number, max = SETTINGS.retryMaxBackoffMs) =>
      backoffMs(sensorWith({}, { failuresInARow: failures, settings: { ...SETTINGS, retryMaxBackoffMs: max } }));
    expect([1, 2, 3, 4, 6, 7, 50].map((n) => after(n))).toEqual([1_000, 2_000, 4_000, 8_000, 32_000, 60_000, 60_000]);
    // However long it fails, the wait stays a number the timer takes.
    expect(after(10_000, Number.MAX_SAFE_INTEGER)).toBe(1_000 * 2 ** 20);
  });
});
