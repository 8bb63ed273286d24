// What the `status` query shows (src/workflows/sensor-core/status.ts), without Temporal.

import { describe, expect, it } from 'vitest';
import { runStarted, statusOf, stopRequested } from '../../../src/workflows/sensor-core';
import { SETTINGS, sensorWith } from './helpers';

describe('status', () => {
  it('shows the state, the sensor’s identity, its runs in flight and settings, not its skip points or carried run IDs', () => {
    const sensor = runStarted(
      sensorWith(
        { carriedRuns: ['c1'], skipThrough: { 0: '9' }, batches: 4, pendingCommit: { 0: '10' } },
        { phase: 'consuming' },
      ),
      'r1',
    );
    const status = statusOf(sensor, 'sensor-events-2@g');
    expect(status).toMatchObject({
      workflowId: 'sensor-events-2@g',
      topic: 'events',
      replica: 2,
      phase: 'consuming',
      inFlightRuns: 2,
      batches: 4,
      settings: SETTINGS,
    });
    expect(status.pendingCommit).toEqual({ 0: '10' });
    expect(status).not.toHaveProperty('carriedRuns');
    expect(status).not.toHaveProperty('skipThrough');
  });

  it('shows a stop at once', () => {
    expect(statusOf(stopRequested(sensorWith({}, { phase: 'at in-flight limit' })), 'x').phase).toBe('stopping');
  });
});
