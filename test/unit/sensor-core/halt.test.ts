// Pause, halt and resume (src/workflows/sensor-core/halt.ts), without Temporal.

import { describe, expect, it } from 'vitest';
import {
  haltForRecreatedTopic,
  holdEnds,
  holdPhase,
  paused,
  recreatedPartitions,
  resumed,
} from '../../../src/workflows/sensor-core';
import { deepFreeze, pick, sensorWith } from './helpers';

const AT = '2026-12-01T00:00:00.000Z';
const resets = [
  { partition: 0, known: '120', committed: '3', logEnd: '3' },
  { partition: 2, known: '80', logEnd: '0' },
];
const offsets = {
  committed: { 0: '120' },
  pendingCommit: { 0: '130' },
  skipThrough: { 0: '129' },
  rewind: { 2: '70' },
};

describe('a recreated topic', () => {
  it('halts the sensor and says why, per partition, and what to do', () => {
    const sensor = haltForRecreatedTopic(sensorWith(), resets, AT);
    const reason = sensor.state.halted?.reason ?? '';
    expect(reason).toContain('Kafka topic "events" was deleted and created again');
    expect(reason).toContain(
      'partition 0: the group had committed 120, now 3, and the log ends at 3; partition 2: the group had committed 80, now nothing, and the log ends at 0',
    );
    expect(reason).toContain('signal `resume`');
    expect(sensor.state.halted?.at).toBe(AT);
    expect(sensor.state.lastError).toEqual({ message: reason, at: AT });
    expect(recreatedPartitions(resets)).toMatch(/^partition 0: .*; partition 2: /);
  });

  it('resumed, takes the group’s offsets as they are now: those kept from the old topic are dropped', () => {
    const halted = deepFreeze(haltForRecreatedTopic(sensorWith({ ...offsets, paused: true }), resets, AT));
    const sensor = resumed(halted);
    expect(pick(sensor.state, 'paused', 'halted', 'committed', 'pendingCommit', 'skipThrough', 'rewind')).toEqual({
      paused: false,
      halted: undefined,
      committed: {},
      pendingCommit: {},
      skipThrough: {},
      rewind: {},
    });
    expect(holdEnds(sensor)).toBe(true);
  });
});

describe('pause and resume', () => {
  it('a paused sensor holds, and resumes with its offsets as they were', () => {
    const sensor = paused(sensorWith(offsets));
    expect(sensor.state.paused).toBe(true);
    expect(holdEnds(sensor)).toBe(false);
    expect(holdPhase(sensor)).toBe('paused');
    const again = resumed(sensor);
    expect(pick(again.state, 'paused', 'committed', 'pendingCommit', 'skipThrough', 'rewind')).toEqual({
      paused: false,
      ...offsets,
    });
  });

  it('a halted sensor shows halted, even when also paused', () => {
    expect(holdPhase(sensorWith({ paused: true, halted: { reason: 'x', at: AT } }))).toBe('halted');
  });

  it('a reset request ends the hold (to be applied, or refused when halted)', () => {
    expect(holdEnds(sensorWith({ paused: true, resetRequest: { id: 'r', targets: [] } }))).toBe(true);
  });
});
