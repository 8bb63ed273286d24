// The pool of heap bytes the sensor consumers of one process share (src/kafka/byte-pool.ts).

import { describe, expect, it, vi } from 'vitest';
import { BytePool } from '../../src/kafka/byte-pool';

describe('the shared byte pool', () => {
  it('lends bytes up to its limit, and again once they are given back', () => {
    const pool = new BytePool(100);
    expect(pool.take(60)).toBe(true);
    expect(pool.take(50)).toBe(false); // would pass the limit: nothing taken
    expect(pool.inUse).toBe(60);
    expect(pool.take(40)).toBe(true);
    pool.give(50);
    expect(pool.take(50)).toBe(true);
    expect(pool.inUse).toBe(100);
  });

  it('lends past its limit only when forced (a buffer takes the record it already checked for)', () => {
    const pool = new BytePool(10);
    expect(pool.take(25, true)).toBe(true);
    expect(pool.inUse).toBe(25);
    expect(pool.take(1)).toBe(false);
  });

  it('wakes a fetch loop waiting for room when bytes come back', async () => {
    vi.useFakeTimers();
    try {
      const pool = new BytePool(10);
      pool.take(10);
      let woken = false;
      void pool.waitForRoom(60_000).then(() => (woken = true));
      await vi.advanceTimersByTimeAsync(1_000);
      expect(woken).toBe(false);
      pool.give(4);
      await vi.advanceTimersByTimeAsync(0);
      expect(woken).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
