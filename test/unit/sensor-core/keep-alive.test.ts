// How long the sensor keeps its consumer and how often it touches it while waiting
// (src/workflows/sensor-core/keep-alive.ts), without Temporal.

import { describe, expect, it } from 'vitest';
import {
  MAX_KEEP_ALIVE_MS,
  holdLeaseMs,
  idleTimeoutMs,
  keepAliveMs,
  nextHoldWaitMs,
} from '../../../src/workflows/sensor-core';
import { SETTINGS, sensorWith } from './helpers';

describe('keeping the consumer', () => {
  it('is closed as idle only after a wait between ticks, a tick and a minute more', () => {
    expect(idleTimeoutMs(SETTINGS)).toBe(5_000 + 30_000 + 60_000);
  });

  it('is touched at least three times per idle timeout, and at least every 30 s', () => {
    expect(keepAliveMs(SETTINGS)).toBe(30_000);
    expect(keepAliveMs({ ...SETTINGS, timeBetweenTicksMs: 0, maxTickRuntimeMs: 1_000 })).toBe(20_333);
  });

  it('while waiting, touches it less and less often, up to every 5 minutes', () => {
    const sensor = sensorWith();
    const waits = [2_000];
    while (waits.length < 8) waits.push(nextHoldWaitMs(sensor, waits.at(-1)!));
    expect(waits).toEqual([2_000, 30_000, 60_000, 120_000, 240_000, 300_000, 300_000, 300_000]);
    expect(MAX_KEEP_ALIVE_MS).toBe(300_000);
  });

  it('each touch asks for the consumer to be kept three waits long, never less than the idle timeout', () => {
    const sensor = sensorWith();
    expect(holdLeaseMs(sensor, 10_000)).toBe(95_000);
    expect(holdLeaseMs(sensor, 300_000)).toBe(900_000);
  });
});
