// One tick, decided (src/workflows/sensor-core/tick.ts), without Temporal: when it goes on and
// when it ends, what each consume-batch call asks for, what its result changes, and whether the
// sensor waits between ticks.

import { describe, expect, it } from 'vitest';
import type { ConsumeResult } from '../../../src/activities/sensor-activities';
import {
  commitsAtTickEnd,
  consumeFailed,
  consumed,
  nextConsumeCall,
  recordStartOutcomes,
  runStarted,
  slotWaitEndsTick,
  tickGoesOn,
  tickStarted,
  topicRecreated,
  waitBetweenTicksCut,
  waitsBetweenTicks,
  type Tick,
} from '../../../src/workflows/sensor-core';
import { SETTINGS, deepFreeze, pick, range, sensorWith } from './helpers';

const RUN = { workflowId: 'sensor-events-2@g', runId: 'run1' };
const AT = '2026-12-01T00:00:00.000Z';
const result = (over: Partial<ConsumeResult> = {}): ConsumeResult => ({
  batches: [],
  assignment: [0, 1],
  settled: [],
  ...over,
});

describe('a tick', () => {
  it('counts itself, checks the topic on its first call and runs for MAX_SENSOR_TICK_RUNTIME', () => {
    const { sensor, tick } = tickStarted(sensorWith({ ticks: 4 }, { checkTopic: false }), 1_000, false);
    expect(sensor.state.ticks).toBe(5);
    expect(sensor.checkTopic).toBe(true);
    expect(tick).toEqual({
      endsAt: 1_000 + SETTINGS.maxTickRuntimeMs,
      afterWait: false,
      firstCall: true,
      caughtUp: false,
    });
  });

  it('goes on until its runtime is up, the sensor pauses, halts, resets, stops or its history is long', () => {
    const { sensor, tick } = tickStarted(sensorWith(), 0, false);
    expect(tickGoesOn(sensor, tick, 29_999, false)).toBe(true);
    expect(tickGoesOn(sensor, tick, 30_000, false)).toBe(false);
    expect(tickGoesOn(sensor, tick, 0, true)).toBe(false);
    expect(tickGoesOn({ ...sensor, stopping: true }, tick, 0, false)).toBe(false);
    for (const state of [
      { paused: true },
      { halted: { reason: 'x', at: AT } },
      { resetRequest: { id: 'r', targets: [] } },
    ]) {
      expect(tickGoesOn({ ...sensor, state: { ...sensor.state, ...state } }, tick, 0, false)).toBe(false);
    }
  });

  it('ends after waiting for a free slot when the sensor is stopping or still at the in-flight limit', () => {
    const full = runStarted(runStarted(runStarted(sensorWith(), 'a'), 'b'), 'c');
    expect(slotWaitEndsTick(full)).toBe(true);
    expect(slotWaitEndsTick(sensorWith())).toBe(false);
    expect(slotWaitEndsTick(sensorWith({}, { stopping: true }))).toBe(true);
  });
});

describe('a consume-batch call', () => {
  it('carries pending commits, rewinds, skip points and known offsets, and asks for at most one batch per free slot', () => {
    let sensor = sensorWith({ committed: { 0: '5' } });
    sensor = {
      ...sensor,
      state: recordStartOutcomes(sensor.state, [range(0, 5, 9), range(1, 0, 9)], ['started', 'failed'], 'g'),
    };
    sensor = runStarted(sensor, 'r1');
    const { call } = nextConsumeCall(sensor, tickStarted(sensor, 0, false).tick, RUN);
    expect(call).toEqual({
      replica: 2,
      commit: [{ partition: 0, offset: '10' }],
      rewind: [{ partition: 1, offset: '0' }],
      idleTimeoutMs: 5_000 + 30_000 + 60_000,
      known: { 0: '5' },
      checkTopic: true,
      wake: { workflowId: 'sensor-events-2@g', token: 'run1/1' },
      request: {
        maxMessages: 10,
        maxBytes: 100_000,
        maxBatches: 2,
        maxTotalBytes: 1_572_864,
        maxWaitMs: 500,
        skipThrough: { 0: '9' },
      },
    });
  });

  it('after a full wait between ticks, takes what is buffered at once on the first call only', () => {
    const sensor = sensorWith();
    const { tick } = tickStarted(sensor, 0, true);
    expect(nextConsumeCall(sensor, tick, RUN).call.request.maxWaitMs).toBe(0);
    const later: Tick = consumed(sensor, tick, nextConsumeCall(sensor, tick, RUN).call, result(), AT).tick;
    expect(nextConsumeCall(sensor, later, RUN).call.request.maxWaitMs).toBe(SETTINGS.maxBatchWaitMs);
  });

  it('caps the records one result carries at MAX_CONSUME_RESULT_BYTES, never below one batch', () => {
    const sensor = sensorWith({}, { settings: { ...SETTINGS, maxBatchBytes: 4_000_000 } });
    expect(nextConsumeCall(sensor, tickStarted(sensor, 0, false).tick, RUN).call.request.maxTotalBytes).toBe(4_000_000);
  });

  it('names each call, so only its own wake signal counts', () => {
    const first = nextConsumeCall(
      sensorWith({}, { recordsWaiting: true }),
      tickStarted(sensorWith(), 0, false).tick,
      RUN,
    );
    const second = nextConsumeCall(first.sensor, tickStarted(sensorWith(), 0, false).tick, RUN);
    expect(first.sensor.recordsWaiting).toBe(false);
    expect([first.call.wake?.token, second.call.wake?.token]).toEqual(['run1/1', 'run1/2']);
    expect(second.sensor.wakeToken).toBe('run1/2');
  });
});

describe('a call that returned', () => {
  const started = tickStarted(
    sensorWith(
      { rewind: { 1: '0' }, pendingCommit: { 0: '10' }, skipThrough: { 0: '9' }, lastError: { message: 'x', at: AT } },
      { failuresInARow: 3 },
    ),
    0,
    false,
  );
  const call = nextConsumeCall(started.sensor, started.tick, RUN);

  it('applies the rewinds it carried, stops sending the commits it settled, and records what the consumer holds', () => {
    const { sensor } = consumed(
      call.sensor,
      started.tick,
      call.call,
      result({ settled: [{ partition: 0, offset: '10' }], assignment: [0] }),
      'now',
    );
    expect(pick(sensor.state, 'rewind', 'pendingCommit', 'committed', 'assignment')).toEqual({
      rewind: {},
      pendingCommit: {},
      committed: { 0: '10' },
      assignment: [0],
    });
    expect(sensor.checkTopic).toBe(false);
    expect(sensor.failuresInARow).toBe(0);
    expect(sensor.state.lastError?.recoveredAt).toBe('now');
  });

  it('ends the tick caught up only when it found nothing', () => {
    expect(consumed(call.sensor, started.tick, call.call, result(), AT).tick.caughtUp).toBe(true);
    const found = consumed(call.sensor, started.tick, call.call, result({ batches: [range(0, 10, 12)] }), AT).tick;
    expect(found).toMatchObject({ caughtUp: false, firstCall: false });
  });

  it('a rewind added while the call ran is kept', () => {
    const meanwhile = { ...call.sensor, state: { ...call.sensor.state, rewind: { 1: '20' } } };
    expect(consumed(meanwhile, started.tick, call.call, result(), AT).sensor.state.rewind).toEqual({ 1: '20' });
  });

  it('reports a recreated topic only when partitions went back', () => {
    expect(topicRecreated(result())).toBeUndefined();
    expect(topicRecreated(result({ topicReset: [] }))).toBeUndefined();
    const reset = [{ partition: 0, known: '10', logEnd: '3' }];
    expect(topicRecreated(result({ topicReset: reset }))).toEqual(reset);
  });

  it('a failed call makes the next one check the topic again', () => {
    expect(consumeFailed(sensorWith({}, { checkTopic: false })).checkTopic).toBe(true);
  });

  it('leaves the sensor it is given unchanged', () => {
    const frozen = deepFreeze(call.sensor);
    consumed(frozen, started.tick, call.call, result({ settled: [{ partition: 0, offset: '10' }] }), AT);
    expect(frozen.state.pendingCommit).toEqual({ 0: '10' });
  });
});

describe('the end of a tick', () => {
  it('sends a commit call only when commits are still pending (an idle tick sends none)', () => {
    expect(commitsAtTickEnd(sensorWith())).toBe(false);
    expect(commitsAtTickEnd(sensorWith({ pendingCommit: { 0: '10' } }))).toBe(true);
  });

  it('waits between ticks only when caught up, and not when stopping, paused, halted or told not to wait', () => {
    expect(waitsBetweenTicks(sensorWith(), true)).toBe(true);
    expect(waitsBetweenTicks(sensorWith(), false)).toBe(false);
    expect(waitsBetweenTicks(sensorWith({}, { stopping: true }), true)).toBe(false);
    expect(waitsBetweenTicks(sensorWith({ paused: true }), true)).toBe(false);
    expect(waitsBetweenTicks(sensorWith({ halted: { reason: 'x', at: AT } }), true)).toBe(false);
    expect(waitsBetweenTicks(sensorWith({}, { settings: { ...SETTINGS, timeBetweenTicksMs: 0 } }), true)).toBe(false);
  });

  it('a wait between ticks is cut short by records, a stop, a pause or a reset request', () => {
    expect(waitBetweenTicksCut(sensorWith())).toBe(false);
    expect(waitBetweenTicksCut(sensorWith({}, { recordsWaiting: true }))).toBe(true);
    expect(waitBetweenTicksCut(sensorWith({}, { stopping: true }))).toBe(true);
    expect(waitBetweenTicksCut(sensorWith({ paused: true }))).toBe(true);
    expect(waitBetweenTicksCut(sensorWith({ resetRequest: { id: 'r', targets: [] } }))).toBe(true);
  });
});
