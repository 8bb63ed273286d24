import { describe, expect, it, vi } from 'vitest';
import type { Batch } from '../../src/batch';
import { BatchCache, heapBytesOf, STALE_AFTER_MS } from '../../src/kafka/batch-cache';
import { RECORD_HEAP_OVERHEAD_BYTES } from '../../src/kafka/record-weight';
import { syntheticBatch } from '../synthetic-batch';

const batch = (partition: number, first: number, count: number, topic = 't'): Batch =>
  syntheticBatch(topic, partition, first, count);

const range = (b: Batch, first = b.firstOffset, last = b.lastOffset) => ({
  ...b,
  firstOffset: first,
  lastOffset: last,
});

describe('batch cache', () => {
  it('returns the records of a cached batch, and of any part of it', () => {
    const cache = new BatchCache(1_000_000);
    const b = batch(1, 10, 10);
    cache.put(b);
    expect(cache.get(range(b))).toBe(b.messages);
    expect(cache.get(range(b, '12', '14'))!.map((m) => m.offset)).toEqual(['12', '13', '14']);
    expect(cache.get(range(b, '9', '14'))).toBeUndefined(); // not all of it is here
    expect(cache.get({ ...range(b), partition: 2 })).toBeUndefined();
    expect(cache.get({ ...range(b), topic: 'other' })).toBeUndefined();
  });

  it('forgets a batch once its run has loaded it', () => {
    const cache = new BatchCache(1_000_000);
    const b = batch(0, 0, 5);
    cache.put(b);
    cache.delete(range(b, '0', '2')); // a part loaded: the batch stays for the rest
    expect(cache.get(range(b))).toBeDefined();
    cache.delete(range(b));
    expect(cache.get(range(b))).toBeUndefined();
    expect(cache.size).toEqual({ batches: 0, bytes: 0 });
  });

  it('beyond its budget keeps the batches cut first (their runs load next) and leaves out the newest', () => {
    const [a, b, c] = [batch(0, 0, 10), batch(0, 10, 10), batch(0, 20, 10)];
    const cache = new BatchCache(heapBytesOf(a) * 2.5); // room for two
    cache.put(a);
    cache.put(b);
    cache.put(c);
    expect(cache.get(range(a))).toBe(a.messages);
    expect(cache.get(range(b))).toBe(b.messages);
    expect(cache.get(range(c))).toBeUndefined(); // its run reads it back from Kafka
    expect(cache.size).toEqual({ batches: 2, bytes: heapBytesOf(a) * 2 });
    cache.delete(range(a)); // a's run loaded it: room for the next one
    cache.put(c);
    expect(cache.get(range(c))).toBe(c.messages);
  });

  it('lets a batch no run has loaded for a while make way (its run went to another worker)', () => {
    let now = 0;
    const [a, b, c] = [batch(0, 0, 10), batch(1, 0, 10), batch(2, 0, 10)];
    const cache = new BatchCache(heapBytesOf(a) * 2, () => now);
    cache.put(a);
    now = STALE_AFTER_MS / 2;
    cache.put(b);
    now = STALE_AFTER_MS + 1; // a is stale, b is not
    cache.put(c);
    expect(cache.get(range(a))).toBeUndefined();
    expect(cache.get(range(b))).toBe(b.messages);
    expect(cache.get(range(c))).toBe(c.messages);
  });

  it('counts what records weigh on the heap, not only their JSON', () => {
    const b = batch(0, 0, 10);
    const cache = new BatchCache(1_000_000);
    cache.put(b);
    expect(cache.size.bytes).toBe(b.bytes + 10 * RECORD_HEAP_OVERHEAD_BYTES);
  });

  it('never holds more than its budget, whatever is put and loaded', () => {
    const budget = 20_000;
    const cache = new BatchCache(budget);
    let seed = 7;
    const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    const put: Batch[] = [];
    for (let i = 0; i < 500; i++) {
      const b = batch(Math.floor(random() * 4), i * 100, 1 + Math.floor(random() * 40));
      cache.put(b);
      put.push(b);
      if (random() < 0.4) cache.delete(range(put[Math.floor(random() * put.length)]!));
      expect(cache.size.bytes).toBeLessThanOrEqual(budget);
    }
    expect(cache.size.batches).toBeGreaterThan(0);
  });

  it('makes room by dropping its oldest batches when asked (no run here freed any)', async () => {
    const [a, b, c] = [batch(0, 0, 10), batch(1, 0, 10), batch(2, 0, 10)];
    const cache = new BatchCache(heapBytesOf(a) * 2);
    cache.put(a);
    cache.put(b);
    expect(await cache.waitForRoom(heapBytesOf(c), 0)).toBe(false);
    cache.makeRoom(heapBytesOf(c));
    expect(cache.get(range(a))).toBeUndefined();
    expect(cache.get(range(b))).toBe(b.messages);
    expect(await cache.waitForRoom(heapBytesOf(c), 0)).toBe(true);
    cache.put(c);
    expect(cache.get(range(c))).toBe(c.messages);
  });

  it('waitForRoom returns as soon as a loaded batch makes room', async () => {
    vi.useFakeTimers();
    try {
      const a = batch(0, 0, 10);
      const cache = new BatchCache(heapBytesOf(a));
      cache.put(a);
      let done = false;
      const waiting = cache.waitForRoom(heapBytesOf(a), 60_000).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(1_000);
      expect(done).toBe(false);
      cache.delete(range(a));
      await vi.advanceTimersByTimeAsync(0);
      expect(done).toBe(true);
      await waiting;
      // A cache with no budget (a process without the runs role) never makes its caller wait.
      await new BatchCache(0).waitForRoom(1, 60_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps one entry when the same batch is put twice (a re-read)', () => {
    const cache = new BatchCache(10_000);
    const b = batch(0, 0, 10);
    cache.put(b);
    cache.put(batch(0, 0, 10));
    expect(cache.size).toEqual({ batches: 1, bytes: heapBytesOf(b) });
  });
});
