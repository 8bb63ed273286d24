// What a sensor consumer commits, and when it sees a recreated topic (src/kafka/commit-policy.ts),
// without a broker. The real thing is in test/integration/sensor-lifecycle.test.ts and the fault tests.

import { describe, expect, it } from 'vitest';
import { findResets, planCommit } from '../../src/kafka/commit-policy';

const committed = (entries: Record<number, string>) => new Map(Object.entries(entries).map(([p, o]) => [Number(p), o]));

describe('the commit plan', () => {
  it('sends offsets ahead of the group, and settles those of held partitions only', () => {
    const plan = planCommit(
      [
        { partition: 0, offset: '10' },
        { partition: 1, offset: '5' },
        { partition: 2, offset: '7' },
      ],
      [0, 1],
      committed({ 0: '4', 1: '5' }),
      { 0: '4', 1: '5' },
    );
    // Partition 1 is covered already; partition 2 is held by another member now: kept pending.
    expect(plan.send).toEqual([{ partition: 0, offset: '10' }]);
    expect(plan.settled).toEqual([
      { partition: 0, offset: '10' },
      { partition: 1, offset: '5' },
    ]);
  });

  it('never moves the group back', () => {
    const plan = planCommit([{ partition: 0, offset: '3' }], [0], committed({ 0: '8' }), { 0: '3' });
    expect(plan.send).toEqual([]);
    expect(plan.settled).toEqual([{ partition: 0, offset: '3' }]);
  });

  it('sends the first commit of a partition the group has no offset for yet', () => {
    const plan = planCommit([{ partition: 0, offset: '3' }], [0], committed({}), {});
    expect(plan.send).toEqual([{ partition: 0, offset: '3' }]);
    expect(planCommit([{ partition: 0, offset: '3' }], [0], committed({}), { 0: '0' }).send).toHaveLength(1);
  });

  it('commits nothing when the group lost an offset the sensor knows (a recreated topic)', () => {
    const plan = planCommit(
      [
        { partition: 0, offset: '12' },
        { partition: 1, offset: '9' },
      ],
      [0, 1],
      committed({ 1: '2' }),
      { 0: '10', 1: '2' },
    );
    expect(plan).toEqual({ send: [], settled: [] });
  });
});

describe('finding a recreated topic', () => {
  it('reports a held partition whose group offset is gone or whose log ends below the known offset', () => {
    const resets = findResets(
      [0, 1, 2, 3],
      { 0: '10', 1: '10', 2: '10', 3: '0', 4: '10' },
      committed({ 1: '10', 2: '10' }),
      new Map([
        [0, '0'],
        [1, '4'],
        [2, '15'],
        [3, '0'],
      ]),
    );
    expect(resets).toEqual([
      { partition: 0, known: '10', committed: undefined, logEnd: '0' },
      { partition: 1, known: '10', committed: '10', logEnd: '4' },
    ]);
  });

  it('passes a deliberate reset of the group (an offset in place, the log as it was)', () => {
    expect(findResets([0], { 0: '10' }, committed({ 0: '2' }), new Map([[0, '15']]))).toEqual([]);
  });
});
