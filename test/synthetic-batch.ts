// A batch of made-up records, for tests of logic that needs records but no broker.

import type { Batch } from '../src/batch';

/** `count` records of `partition` from offset `first`, values {"n":offset}, 100 bytes counted each. */
export function syntheticBatch(topic: string, partition: number, first: number, count: number): Batch {
  const messages = Array.from({ length: count }, (_, i) => ({
    offset: String(first + i),
    key: null,
    value: { text: `{"n":${first + i}}` },
    headers: {},
    timestamp: '0',
  }));
  return {
    topic,
    partition,
    firstOffset: String(first),
    lastOffset: String(first + count - 1),
    count,
    bytes: 100 * count,
    messages,
  };
}
