import { describe, expect, it } from 'vitest';
import type { Batch } from '../../src/batch';
import { BatchCache } from '../../src/kafka/batch-cache';
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

  it('evicts the oldest batches beyond its byte budget', () => {
    const cache = new BatchCache(2_500); // room for two batches of 10 records (1,000 bytes each)
    const [a, b, c] = [batch(0, 0, 10), batch(0, 10, 10), batch(0, 20, 10)];
    cache.put(a);
    cache.put(b);
    cache.put(c);
    expect(cache.get(range(a))).toBeUndefined();
    expect(cache.get(range(b))).toBe(b.messages);
    expect(cache.get(range(c))).toBe(c.messages);
    expect(cache.size).toEqual({ batches: 2, bytes: 2_000 });
  });

  it('keeps one entry when the same batch is put twice (a re-read)', () => {
    const cache = new BatchCache(10_000);
    const b = batch(0, 0, 10);
    cache.put(b);
    cache.put(batch(0, 0, 10));
    expect(cache.size).toEqual({ batches: 1, bytes: 1_000 });
  });
});
