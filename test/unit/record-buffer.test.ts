// The sensor consumer's buffer without a broker (src/kafka/record-buffer.ts): how long a consume
// call waits, what it cuts, what the fetch loop is told, and when a waiting sensor is woken.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { messageBytes, type BatchMessage } from '../../src/batch';
import type { BufferedRecord } from '../../src/kafka/batch-planner';
import { BytePool } from '../../src/kafka/byte-pool';
import { RecordBuffer } from '../../src/kafka/record-buffer';
import { recordHeapBytes } from '../../src/kafka/record-weight';

function record(offset: number): BufferedRecord {
  const message: BatchMessage = {
    offset: String(offset),
    key: null,
    value: { text: 'v' },
    headers: {},
    timestamp: '0',
  };
  return { message, bytes: messageBytes(message) };
}

const limits = { maxMessages: 3, maxBytes: 1_000_000, maxBatches: 10, maxTotalBytes: 10_000_000 };
const never = () => false;

/** Resolves to the fake time at which `promise` settled. */
async function settledAt(promise: Promise<unknown>, stepMs = 10, maxMs = 10_000): Promise<number> {
  let done = false;
  void promise.then(() => (done = true));
  const start = Date.now();
  while (!done && Date.now() - start <= maxMs) await vi.advanceTimersByTimeAsync(stepMs);
  return Date.now() - start;
}

describe('the record buffer', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('counts MAX_BATCH_WAIT from the oldest buffered record, not from the call', async () => {
    const buffer = new RecordBuffer({ messages: 100, bytes: 1_000_000 });
    buffer.push(0, record(0));
    await vi.advanceTimersByTimeAsync(200);
    // The record has waited 200 ms already: 100 ms are left of its 300.
    expect(await settledAt(buffer.waitForBatch(limits, 300, never))).toBe(100);
  });

  it('waits MAX_BATCH_WAIT from the call when nothing is buffered', async () => {
    const buffer = new RecordBuffer({ messages: 100, bytes: 1_000_000 });
    expect(await settledAt(buffer.waitForBatch(limits, 300, never))).toBe(300);
  });

  it('keeps the oldest record’s time for leftovers of a cut', async () => {
    const buffer = new RecordBuffer({ messages: 100, bytes: 1_000_000 });
    for (let o = 0; o < 4; o++) buffer.push(0, record(o));
    await vi.advanceTimersByTimeAsync(250);
    expect(buffer.cut('t', { ...limits, maxBatches: 1 }).map((b) => b.messages.length)).toEqual([3]);
    expect(await settledAt(buffer.waitForBatch(limits, 300, never))).toBe(50);
  });

  it('counts from the oldest record left after a cut, not from when the buffer last held nothing', async () => {
    // A backlog: the buffer never empties, and what is left after a cut arrived later.
    const buffer = new RecordBuffer({ messages: 100, bytes: 1_000_000 });
    for (let o = 0; o < 3; o++) buffer.push(0, record(o));
    await vi.advanceTimersByTimeAsync(250);
    buffer.push(0, record(3));
    buffer.push(0, record(4));
    expect(buffer.cut('t', { ...limits, maxBatches: 1 }).map((b) => b.messages.length)).toEqual([3]);
    // Offsets 3 and 4 arrived just now: they may wait the whole 300 ms.
    expect(await settledAt(buffer.waitForBatch(limits, 300, never))).toBe(300);
  });

  it('starts a new wait once everything buffered was taken', async () => {
    const buffer = new RecordBuffer({ messages: 100, bytes: 1_000_000 });
    buffer.push(0, record(0));
    await vi.advanceTimersByTimeAsync(250);
    buffer.cut('t', limits);
    buffer.push(0, record(1));
    expect(await settledAt(buffer.waitForBatch(limits, 300, never))).toBe(300);
  });

  it('returns as soon as a partition holds a full batch', async () => {
    const buffer = new RecordBuffer({ messages: 100, bytes: 1_000_000 });
    const waiting = buffer.waitForBatch(limits, 5_000, never);
    await vi.advanceTimersByTimeAsync(40);
    for (let o = 0; o < 3; o++) buffer.push(1, record(o));
    expect(await settledAt(waiting)).toBeLessThanOrEqual(10);
    expect(buffer.cut('t', limits).map((b) => [b.partition, b.firstOffset, b.lastOffset])).toEqual([[1, '0', '2']]);
  });

  it('stops waiting when interrupted and told to stop', async () => {
    const buffer = new RecordBuffer({ messages: 100, bytes: 1_000_000 });
    let stop = false;
    const waiting = buffer.waitForBatch(limits, 5_000, () => stop);
    await vi.advanceTimersByTimeAsync(40);
    stop = true;
    buffer.interrupt();
    expect(await settledAt(waiting)).toBeLessThanOrEqual(10);
  });

  it('is full at its record or byte bound, and frees space as batches are cut', async () => {
    const buffer = new RecordBuffer({ messages: 3, bytes: 1_000_000 });
    for (let o = 0; o < 3; o++) buffer.push(0, record(o));
    expect(buffer.isFull()).toBe(true);
    const space = buffer.waitForSpace(5_000);
    buffer.cut('t', { ...limits, maxMessages: 2, maxBatches: 1 });
    expect(buffer.isFull()).toBe(false);
    expect(await settledAt(space)).toBeLessThanOrEqual(10);

    const byBytes = new RecordBuffer({ messages: 100, bytes: recordHeapBytes(record(0).bytes) * 2 });
    byBytes.push(0, record(0));
    expect(byBytes.isFull()).toBe(false);
    byBytes.push(0, record(1));
    expect(byBytes.isFull()).toBe(true);
  });

  it('holds beyond its own share only what the shared pool lends, and gives it back', () => {
    const weight = recordHeapBytes(record(0).bytes);
    const pool = new BytePool(weight * 4);
    const a = new RecordBuffer({ messages: 1_000, bytes: weight * 2, pool });
    const b = new RecordBuffer({ messages: 1_000, bytes: weight * 2, pool });
    let offset = 0;
    while (!a.isFull()) a.push(0, record(offset++));
    expect(offset).toBe(6); // its own two, then the pool's four
    expect(pool.inUse).toBe(weight * 4);
    // b still has its own share, which a could not take.
    b.push(1, record(0));
    b.push(1, record(1));
    expect(b.isFull()).toBe(true);
    expect(pool.inUse).toBe(weight * 4);
    a.cut('t', { ...limits, maxMessages: 3, maxBatches: 1 }); // three of a's records go to a run
    expect(pool.inUse).toBe(weight);
    expect(b.isFull()).toBe(false);
    a.dropPartition(0);
    b.clear();
    expect(pool.inUse).toBe(0);
  });

  it('buffers sharing a pool never hold more than their shares and the pool, give or take one record each', () => {
    const weight = recordHeapBytes(record(0).bytes);
    const pool = new BytePool(weight * 10);
    const buffers = [0, 1, 2].map(() => new RecordBuffer({ messages: 1_000, bytes: weight * 3, pool }));
    let offset = 0;
    for (let round = 0; round < 50; round++) {
      for (const [i, buffer] of buffers.entries()) {
        // The fetch loop's rule: push only while not full.
        for (let n = 0; n < 5 && !buffer.isFull(); n++) buffer.push(i, record(offset++));
        if ((round + i) % 4 === 0) buffer.cut('t', { ...limits, maxMessages: 4, maxBatches: 1 });
      }
      const held = buffers.reduce((sum, b) => sum + b.heapBytes, 0);
      expect(held).toBeLessThanOrEqual(weight * (3 * 3 + 10 + 3));
      expect(pool.inUse).toBe(buffers.reduce((sum, b) => sum + Math.max(0, b.heapBytes - weight * 3), 0));
    }
  });

  it('drops records already in started runs, and a partition read again', () => {
    const buffer = new RecordBuffer({ messages: 100, bytes: 1_000_000 });
    for (let o = 0; o < 5; o++) buffer.push(0, record(o));
    for (let o = 0; o < 2; o++) buffer.push(1, record(o));
    buffer.dropThrough({ 0: '2', 2: '9' });
    buffer.dropPartition(1);
    expect(buffer.size).toBe(2);
    expect(buffer.cut('t', limits).map((b) => [b.partition, b.firstOffset, b.lastOffset])).toEqual([[0, '3', '4']]);
  });

  it('wakes a waiting sensor once, on the next record, unless the wake was cancelled', async () => {
    const buffer = new RecordBuffer({ messages: 100, bytes: 1_000_000 });
    const wake = vi.fn();
    buffer.wakeOnNextRecord(wake);
    await vi.advanceTimersByTimeAsync(50);
    expect(wake).not.toHaveBeenCalled();
    buffer.push(0, record(0));
    buffer.push(0, record(1));
    await vi.advanceTimersByTimeAsync(1);
    expect(wake).toHaveBeenCalledTimes(1);

    const cancelled = vi.fn();
    buffer.cut('t', limits);
    buffer.wakeOnNextRecord(cancelled);
    buffer.cancelWake();
    buffer.push(0, record(2));
    await vi.advanceTimersByTimeAsync(1);
    expect(cancelled).not.toHaveBeenCalled();
  });

  it('wakes at once when records are already buffered', async () => {
    const buffer = new RecordBuffer({ messages: 100, bytes: 1_000_000 });
    buffer.push(0, record(0));
    const wake = vi.fn();
    buffer.wakeOnNextRecord(wake);
    await vi.advanceTimersByTimeAsync(1);
    expect(wake).toHaveBeenCalledTimes(1);
  });
});
