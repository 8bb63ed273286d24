// The replica's consumer as the sensor sees it (src/workflows/sensor-core/consumer.ts), without
// Temporal: when to claim it, what a claim, a release and a lost call change.

import { describe, expect, it } from 'vitest';
import {
  claimInput,
  claimed,
  consumerCallTimeoutMs,
  consumerLost,
  consumerReleased,
  holdsConsumer,
  needsConsumer,
  withoutConsumer,
} from '../../../src/workflows/sensor-core';
import { SETTINGS, deepFreeze, sensorWith } from './helpers';

const AT = '2026-12-01T00:00:00.000Z';

describe('claiming the consumer', () => {
  it('claims while no worker holds it, unless stopping or due to continue as new', () => {
    expect(needsConsumer(sensorWith(), false)).toBe(true);
    expect(needsConsumer(sensorWith({ consumerTaskQueue: 'w1' }), false)).toBe(false);
    expect(needsConsumer(sensorWith({}, { stopping: true }), false)).toBe(false);
    expect(needsConsumer(sensorWith(), true)).toBe(false);
  });

  it('asks for the pipeline’s consumer of its replica, to be kept while the sensor may be away', () => {
    expect(claimInput(sensorWith())).toEqual({ topic: 'events', groupId: 'g', replica: 2, idleTimeoutMs: 95_000 });
  });

  it('a claim that worked ends the failures, and the next call checks the topic', () => {
    const failing = sensorWith(
      { lastError: { message: 'topic missing', at: AT } },
      { failuresInARow: 4, checkTopic: false, released: true },
    );
    const sensor = claimed(failing, 'w2', 'now');
    expect(sensor.state.consumerTaskQueue).toBe('w2');
    expect(sensor).toMatchObject({ failuresInARow: 0, checkTopic: true, released: false });
    expect(sensor.state.lastError).toEqual({ message: 'topic missing', at: AT, recoveredAt: 'now' });
    expect(holdsConsumer(sensor)).toBe(true);
    expect(holdsConsumer({ ...sensor, stopping: true })).toBe(false);
  });

  it('gives a call on the consumer’s worker MAX_BATCH_WAIT and 30 s', () => {
    expect(consumerCallTimeoutMs(SETTINGS)).toBe(30_500);
  });
});

describe('losing the consumer', () => {
  it('a release by another worker’s queue is not this sensor’s', () => {
    expect(consumerReleased(sensorWith({ consumerTaskQueue: 'w1' }), 'w0')).toBeUndefined();
  });

  it('a release by its worker drops the consumer, and the call it cancels is no failure', () => {
    const released = consumerReleased(sensorWith({ consumerTaskQueue: 'w1' }), 'w1')!;
    expect(released.state.consumerTaskQueue).toBeUndefined();
    const lost = consumerLost(released, { cancelled: true, message: 'cancelled' }, AT);
    expect(lost.released).toBe(true);
    expect(lost.sensor).toMatchObject({ released: false, failuresInARow: 0 });
    expect(lost.sensor.state.lastError).toBeUndefined();
  });

  it('any other failed call is a failure, and the consumer is claimed again', () => {
    for (const cancelled of [false, true]) {
      const lost = consumerLost(sensorWith({ consumerTaskQueue: 'w1' }), { cancelled, message: 'worker gone' }, AT);
      expect(lost.released).toBe(false);
      expect(lost.sensor.failuresInARow).toBe(1);
      expect(lost.sensor.state.consumerTaskQueue).toBeUndefined();
      expect(lost.sensor.state.lastError).toEqual({ message: 'worker gone', at: AT });
      expect(needsConsumer(lost.sensor, false)).toBe(true);
    }
  });

  it('a stopping sensor lets its consumer go', () => {
    const sensor = deepFreeze(sensorWith({ consumerTaskQueue: 'w1' }));
    expect(withoutConsumer(sensor).state.consumerTaskQueue).toBeUndefined();
    expect(sensor.state.consumerTaskQueue).toBe('w1');
  });
});
