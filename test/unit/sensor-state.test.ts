// The sensor's state decisions (src/workflows/sensor-state.ts), without Temporal: what it commits and
// what it reads again after a run failed to start, across the end of a tick and continue-as-new
// (simulated by a JSON round trip: that is how the state travels in SensorInput).

import { describe, expect, it } from 'vitest';
import type { RunBatch } from '../../src/batch';
import {
  acknowledgeCommits,
  commitsToSend,
  initialSensorState,
  recordStartOutcomes,
  rewindsApplied,
  rewindsToSend,
  type SensorState,
} from '../../src/workflows/sensor-state';

function range(partition: number, first: number, last: number): RunBatch {
  return {
    topic: 'events',
    partition,
    firstOffset: String(first),
    lastOffset: String(last),
    count: last - first + 1,
    bytes: 10,
  };
}

/** What continue-as-new does to the state: it is serialized into the next run's input. */
const carriedOver = (state: SensorState): SensorState => JSON.parse(JSON.stringify(state)) as SensorState;

describe('sensor state', () => {
  it('a run that failed to start is read again on the next call, even after continue-as-new', () => {
    let state = initialSensorState();
    recordStartOutcomes(
      state,
      [range(0, 0, 9), range(0, 10, 19), range(1, 0, 4)],
      ['started', 'failed', 'started'],
      'g',
    );
    // The tick ends here (time up, pause, continue-as-new): the rewind must not be lost.
    state = carriedOver(state);
    expect(rewindsToSend(state)).toEqual([{ partition: 0, offset: '10' }]);
    // Nothing at or past the batch that did not start is committed.
    expect(commitsToSend(state)).toEqual(
      expect.arrayContaining([
        { partition: 0, offset: '10' },
        { partition: 1, offset: '5' },
      ]),
    );
    expect(state.messages).toBe(15);
  });

  it('later batches of a partition whose run failed to start are not counted or committed', () => {
    const state = initialSensorState();
    recordStartOutcomes(state, [range(2, 0, 9), range(2, 10, 19)], ['failed', 'started'], 'g');
    expect(rewindsToSend(state)).toEqual([{ partition: 2, offset: '0' }]);
    expect(commitsToSend(state)).toEqual([]);
    expect(state.batches).toBe(0);
  });

  it('a rewind is dropped only once a consume call carrying it succeeded', () => {
    const state = initialSensorState();
    recordStartOutcomes(state, [range(0, 5, 9)], ['failed'], 'g');
    const sent = rewindsToSend(state);
    // The call failed (consumer lost): nothing applied, the rewind stays.
    expect(carriedOver(state).rewind).toEqual({ 0: '5' });
    rewindsApplied(state, sent);
    expect(rewindsToSend(state)).toEqual([]);
  });

  it('a newer rewind of the same partition survives the acknowledgement of an older one', () => {
    const state = initialSensorState();
    recordStartOutcomes(state, [range(0, 5, 9)], ['failed'], 'g');
    const sent = rewindsToSend(state);
    recordStartOutcomes(state, [range(0, 20, 29)], ['failed'], 'g');
    rewindsApplied(state, sent);
    expect(rewindsToSend(state)).toEqual([{ partition: 0, offset: '20' }]);
  });

  it('settled commits are remembered as the highest offset the group had', () => {
    const state = initialSensorState();
    recordStartOutcomes(state, [range(0, 0, 9)], ['already started'], 'g');
    acknowledgeCommits(state, [{ partition: 0, offset: '10' }]);
    acknowledgeCommits(state, [{ partition: 0, offset: '4' }]);
    expect(state.committed).toEqual({ 0: '10' });
    expect(commitsToSend(state)).toEqual([]);
    expect(state.batchesAlreadyStarted).toBe(1);
  });
});
