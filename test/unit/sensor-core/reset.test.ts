// A reset of the group's offsets as the sensor takes it (src/workflows/sensor-core/reset.ts),
// without Temporal: when it is refused, what of the old position it drops, what it records.

import { describe, expect, it } from 'vitest';
import {
  commitsToSend,
  dropForReset,
  initialSensorState,
  resetDone,
  resetApplied,
  resetBegins,
  resetInput,
  resetMayGoOn,
  resetRefused,
  resetRequested,
  runStarted,
  type SensorState,
} from '../../../src/workflows/sensor-core';
import { deepFreeze, pick, sensorWith } from './helpers';

const AT = '2026-12-01T00:00:00.000Z';
const abc = { id: 'abc', targets: [{ partition: 0, offset: '10' }] };

/** A sensor with something pending on partitions 0 and 1. */
function busy(): SensorState {
  return deepFreeze({
    ...initialSensorState(),
    pendingCommit: { 0: '50', 1: '60' },
    skipThrough: { 0: '49', 1: '59' },
    rewind: { 0: '40' },
    committed: { 0: '45', 1: '55' },
  });
}

describe('a reset request', () => {
  it('drops at once what belongs to the old position of its partitions only, and waits to be applied', () => {
    const state = resetRequested(busy(), abc, AT);
    expect(state.resetRequest).toEqual(abc);
    expect(pick(state, 'pendingCommit', 'skipThrough', 'rewind')).toEqual({
      pendingCommit: { 1: '60' },
      skipThrough: { 1: '59' },
      rewind: {},
    });
    // A commit of the old position sent after the request would undo the reset.
    expect(commitsToSend(state)).toEqual([{ partition: 1, offset: '60' }]);
    expect(state.lastReset).toBeUndefined();
  });

  it('replaces a pending one, which is reported refused', () => {
    const first = resetRequested(busy(), abc, AT);
    const second = resetRequested(first, { id: 'def', targets: [{ partition: 1, offset: '0' }] }, AT);
    expect(second.resetRequest?.id).toBe('def');
    expect(second.lastReset).toEqual({ id: 'abc', applied: [], refused: 'replaced by reset def', at: AT });
    expect(second.pendingCommit).toEqual({});
  });

  it('is refused by a halted sensor, which keeps its offsets as they are', () => {
    const halted = deepFreeze({ ...busy(), halted: { reason: 'topic recreated', at: AT } });
    const state = resetRequested(halted, abc, AT);
    expect(state.resetRequest).toBeUndefined();
    expect(state.lastReset).toEqual({
      id: 'abc',
      applied: [],
      refused: 'the sensor is halted (see halted.reason)',
      at: AT,
    });
    expect(state.pendingCommit).toEqual(halted.pendingCommit);
  });

  it('is refused when the sensor halted after it came', () => {
    const state = resetRefused({ ...resetRequested(busy(), abc, AT), halted: { reason: 'x', at: AT } }, abc, AT);
    expect(state.resetRequest).toBeUndefined();
    expect(state.lastReset?.refused).toBe('the sensor is halted (see halted.reason)');
  });
});

describe('a reset applied', () => {
  it('drops again what runs started meanwhile added, and stops there', () => {
    expect(
      pick(dropForReset(busy(), [{ partition: 1, offset: '0' }]), 'pendingCommit', 'skipThrough', 'rewind'),
    ).toEqual({
      pendingCommit: { 0: '50' },
      skipThrough: { 0: '49' },
      rewind: { 0: '40' },
    });
  });

  it('makes the targets the known committed offsets and names later runs of its partitions after it', () => {
    const requested = resetRequested(busy(), abc, AT);
    // A run started while the request waited for in-flight runs: its commit is of the old position.
    const meanwhile = deepFreeze({ ...requested, pendingCommit: { ...requested.pendingCommit, 0: '70' } });
    const state = resetDone(meanwhile, abc, [{ partition: 0, offset: '10' }], AT);
    expect(state.resetRequest).toBeUndefined();
    expect(state.pendingCommit).toEqual({ 1: '60' });
    expect(state.committed).toEqual({ 0: '10', 1: '55' });
    expect(state.resetOf).toEqual({ 0: 'abc' });
    expect(state.lastReset).toEqual({ id: 'abc', applied: [{ partition: 0, offset: '10' }], at: AT });
  });

  it('keeps the names of earlier resets of other partitions', () => {
    const earlier = deepFreeze({ ...initialSensorState(), resetOf: { 1: 'old' } });
    expect(resetDone(earlier, abc, [], AT).resetOf).toEqual({ 0: 'abc', 1: 'old' });
  });
});

describe('the sensor applying a reset', () => {
  const request = { id: 'abc', targets: [{ partition: 0, offset: '10' }] };

  it('refuses it when it halted after the request came, and otherwise goes into the resetting phase', () => {
    const halted = sensorWith({ resetRequest: request, halted: { reason: 'x', at: AT } });
    const refused = resetBegins(halted, request, AT);
    expect(refused.proceed).toBe(false);
    expect(refused.sensor.state.resetRequest).toBeUndefined();
    expect(refused.sensor.state.lastReset?.refused).toBe('the sensor is halted (see halted.reason)');
    const begun = resetBegins(sensorWith({ resetRequest: request }), request, AT);
    expect(begun.proceed).toBe(true);
    expect(begun.sensor.phase).toBe('resetting');
  });

  it('goes on only once no run is in flight, and not while stopping', () => {
    const sensor = sensorWith({ resetRequest: request });
    expect(resetMayGoOn(sensor)).toBe(true);
    expect(resetMayGoOn(runStarted(sensor, 'r1'))).toBe(false);
    expect(resetMayGoOn({ ...sensor, stopping: true })).toBe(false);
  });

  it('asks the consumer to apply the targets, keeping it for the idle timeout', () => {
    expect(resetInput(sensorWith(), request)).toEqual({ replica: 2, targets: request.targets, idleTimeoutMs: 95_000 });
  });

  it('once applied, records it and counts as a call that worked', () => {
    const failing = sensorWith({ resetRequest: request, lastError: { message: 'x', at: AT } }, { failuresInARow: 2 });
    const sensor = resetApplied(failing, request, request.targets, 'now');
    expect(sensor.state.lastReset).toEqual({ id: 'abc', applied: request.targets, at: 'now' });
    expect(sensor.state.resetRequest).toBeUndefined();
    expect(sensor.failuresInARow).toBe(0);
    expect(sensor.state.lastError?.recoveredAt).toBe('now');
  });
});
