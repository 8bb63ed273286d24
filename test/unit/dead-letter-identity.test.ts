// The readers of the dead-letter topic show each source record once, however often the topic holds
// it: published again by a retried activity, or by another run or pipeline that rejected it too.

import { describe, expect, it } from 'vitest';
import { deadLetterKey, distinctDeadLetters, type DeadLetterOrigin } from '../../src/kafka/dead-letter-identity';

let dlqOffset = 0;
function letter(sourceOffset: string, runId: string, overrides: Partial<DeadLetterOrigin> = {}) {
  return {
    dlqPartition: 0,
    dlqOffset: String(dlqOffset++),
    sourceTopic: 'events',
    sourcePartition: '3',
    sourceOffset,
    sourceTimestamp: '1700000000000',
    runId,
    copies: 1,
    otherRuns: [] as string[],
    ...overrides,
  };
}

const runA = 'microbatch-events-p3-0-99@loader';
const runB = 'microbatch-events-p3-0-49@archiver';

describe('dead letters of one source record', () => {
  it('published again by a retried activity are shown once, counting the copies', () => {
    const first = letter('7', runA);
    const list = distinctDeadLetters([first, letter('8', runA), letter('7', runA), letter('7', runA)]);
    expect(list.map((r) => [r.sourceOffset, r.dlqOffset, r.copies, r.otherRuns])).toEqual([
      ['7', first.dlqOffset, 3, []],
      ['8', expect.any(String), 1, []],
    ]);
  });

  it('from two pipelines sharing the topic are one record, naming the other run', () => {
    const list = distinctDeadLetters([letter('7', runA), letter('7', runB), letter('7', runB)]);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ runId: runA, copies: 3, otherRuns: [runB] });
  });

  it('are kept apart from a later record at the same offset of a recreated topic (another timestamp)', () => {
    const before = letter('7', runA);
    const after = letter('7', runA, { sourceTimestamp: '1800000000000' });
    expect(deadLetterKey(before)).not.toBe(deadLetterKey(after));
    expect(distinctDeadLetters([before, after])).toHaveLength(2);
  });

  it('are never merged when a letter names no source (not written by this pipeline)', () => {
    const foreign = [letter('', runA, { sourceTopic: '' }), letter('', runA, { sourceTopic: '' })];
    expect(distinctDeadLetters(foreign)).toHaveLength(2);
  });

  it('in another partition of the dead-letter topic are still copies', () => {
    const list = distinctDeadLetters([letter('7', runA), letter('7', runA, { dlqPartition: 1 })]);
    expect(list).toHaveLength(1);
    expect(list[0]!.copies).toBe(2);
  });
});
