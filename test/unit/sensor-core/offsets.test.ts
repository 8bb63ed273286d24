// What the sensor commits, reads again and skips (src/workflows/sensor-core/offsets.ts), without
// Temporal: after runs start, fail to start or were started before, across the end of a tick and
// continue-as-new (simulated by a JSON round trip: that is how the state travels in SensorInput).

import { describe, expect, it } from 'vitest';
import {
  acknowledgeCommits,
  commitInput,
  commitsToSend,
  initialSensorState,
  recordStartOutcomes,
  rewindsApplied,
  rewindsToSend,
  runIdOf,
} from '../../../src/workflows/sensor-core';
import { carriedOver, deepFreeze, range } from './helpers';

describe('what the sensor commits and reads again', () => {
  it('a run that failed to start is read again on the next call, even after continue-as-new', () => {
    let state = recordStartOutcomes(
      initialSensorState(),
      [range(0, 0, 9), range(0, 10, 19), range(1, 0, 4)],
      ['started', 'failed', 'started'],
      'g',
    );
    // The tick ends here (time up, pause, continue-as-new): the rewind must not be lost.
    state = carriedOver(state);
    expect(rewindsToSend(state)).toEqual([{ partition: 0, offset: '10' }]);
    // Nothing at or past the batch that did not start is committed.
    expect(commitsToSend(state)).toEqual([
      { partition: 0, offset: '10' },
      { partition: 1, offset: '5' },
    ]);
    expect(state.messages).toBe(15);
  });

  it('commits the offset after the last batch of a partition whose runs all started, in order', () => {
    const state = recordStartOutcomes(
      initialSensorState(),
      [range(3, 100, 109), range(3, 110, 119), range(3, 120, 124)],
      ['started', 'already started', 'started'],
      'g',
    );
    expect(commitsToSend(state)).toEqual([{ partition: 3, offset: '125' }]);
    expect(rewindsToSend(state)).toEqual([]);
    expect(state).toMatchObject({ batches: 3, messages: 25, batchesAlreadyStarted: 1 });
  });

  it('later batches of a partition whose run failed to start are not counted or committed', () => {
    const state = recordStartOutcomes(
      initialSensorState(),
      [range(2, 0, 9), range(2, 10, 19)],
      ['failed', 'started'],
      'g',
    );
    expect(rewindsToSend(state)).toEqual([{ partition: 2, offset: '0' }]);
    expect(commitsToSend(state)).toEqual([]);
    expect(state.skipThrough).toEqual({});
    expect(state.batches).toBe(0);
  });

  it('a failed start keeps the commit of the batches before it, from an earlier call', () => {
    let state = recordStartOutcomes(initialSensorState(), [range(0, 0, 9)], ['started'], 'g');
    state = recordStartOutcomes(state, [range(0, 10, 19)], ['failed'], 'g');
    expect(commitsToSend(state)).toEqual([{ partition: 0, offset: '10' }]);
    expect(rewindsToSend(state)).toEqual([{ partition: 0, offset: '10' }]);
    expect(state.skipThrough).toEqual({ 0: '9' });
  });

  it('a rewind is dropped only once a consume call carrying it succeeded', () => {
    const state = recordStartOutcomes(initialSensorState(), [range(0, 5, 9)], ['failed'], 'g');
    const sent = rewindsToSend(state);
    // The call failed (consumer lost): nothing applied, the rewind stays.
    expect(carriedOver(state).rewind).toEqual({ 0: '5' });
    expect(rewindsToSend(rewindsApplied(state, sent))).toEqual([]);
  });

  it('a newer rewind of the same partition survives the acknowledgement of an older one', () => {
    let state = recordStartOutcomes(initialSensorState(), [range(0, 5, 9)], ['failed'], 'g');
    const sent = rewindsToSend(state);
    state = recordStartOutcomes(state, [range(0, 20, 29)], ['failed'], 'g');
    expect(rewindsToSend(rewindsApplied(state, sent))).toEqual([{ partition: 0, offset: '20' }]);
  });

  it('settled commits are remembered as the highest offset the group had', () => {
    let state = recordStartOutcomes(initialSensorState(), [range(0, 0, 9)], ['already started'], 'g');
    state = acknowledgeCommits(state, [{ partition: 0, offset: '10' }]);
    state = acknowledgeCommits(state, [{ partition: 0, offset: '4' }]);
    expect(state.committed).toEqual({ 0: '10' });
    expect(commitsToSend(state)).toEqual([]);
    expect(state.batchesAlreadyStarted).toBe(1);
  });

  it('a commit settled for an older offset leaves the newer pending commit to be sent', () => {
    let state = recordStartOutcomes(initialSensorState(), [range(0, 0, 9)], ['started'], 'g');
    const sent = commitsToSend(state);
    state = recordStartOutcomes(state, [range(0, 10, 19)], ['started'], 'g');
    state = acknowledgeCommits(state, sent);
    expect(commitsToSend(state)).toEqual([{ partition: 0, offset: '20' }]);
    expect(state.committed).toEqual({ 0: '10' });
  });
});

describe('a commit call outside a consume-batch call', () => {
  it('sends every pending commit, the offsets the group is known to have, and the lease asked for', () => {
    const state = { ...initialSensorState(), pendingCommit: { 0: '10', 3: '7' }, committed: { 0: '5' } };
    expect(commitInput(state, 2, 90_000)).toEqual({
      replica: 2,
      offsets: [
        { partition: 0, offset: '10' },
        { partition: 3, offset: '7' },
      ],
      idleTimeoutMs: 90_000,
      known: { 0: '5' },
    });
    expect(commitInput(state, 2).idleTimeoutMs).toBeUndefined();
  });
});

describe('what the sensor skips', () => {
  it('records re-read below a started run are skipped until the group has committed past them', () => {
    let state = recordStartOutcomes(
      initialSensorState(),
      [range(1, 0, 9), range(2, 0, 4)],
      ['started', 'started'],
      'g',
    );
    expect(state.skipThrough).toEqual({ 1: '9', 2: '4' });
    // Partition 1's commit is settled: Kafka itself stops re-reads below it now, and a deliberate
    // reset of the group's offsets must not be skipped.
    state = acknowledgeCommits(state, [{ partition: 1, offset: '10' }]);
    expect(state.skipThrough).toEqual({ 2: '4' });
  });

  it('a skip point stays while the settled commit is behind it', () => {
    let state = recordStartOutcomes(initialSensorState(), [range(1, 0, 9)], ['started'], 'g');
    state = acknowledgeCommits(state, [{ partition: 1, offset: '5' }]);
    expect(state.skipThrough).toEqual({ 1: '9' });
  });
});

describe('run IDs and the last batch', () => {
  it('names runs after the reset that last moved their partition, and reports the last batch under that name', () => {
    const state = { ...initialSensorState(), resetOf: { 0: 'abc' } };
    const batch = range(0, 10, 19);
    expect(runIdOf(state, batch, 'g')).toBe('microbatch-events-p0-10-19-rabc@g');
    expect(runIdOf(state, range(1, 10, 19), 'g')).toBe('microbatch-events-p1-10-19@g');
    expect(recordStartOutcomes(state, [batch], ['started'], 'g').lastBatch).toEqual({
      workflowId: 'microbatch-events-p0-10-19-rabc@g',
      partition: 0,
      firstOffset: '10',
      lastOffset: '19',
      messages: 10,
    });
  });
});

describe('the offset decisions', () => {
  it('leave the state they are given unchanged', () => {
    const state = deepFreeze(recordStartOutcomes(initialSensorState(), [range(0, 0, 9)], ['failed'], 'g'));
    const started = deepFreeze(recordStartOutcomes(state, [range(1, 0, 9)], ['started'], 'g'));
    expect(() => rewindsApplied(state, [{ partition: 0, offset: '0' }])).not.toThrow();
    expect(() => acknowledgeCommits(started, [{ partition: 1, offset: '10' }])).not.toThrow();
    expect(state.rewind).toEqual({ 0: '0' });
    expect(started.pendingCommit).toEqual({ 1: '10' });
  });
});
