import { describe, expect, it } from 'vitest';
import {
  messageBytes,
  parseRunWorkflowId,
  parseSensorWorkflowId,
  rangeOf,
  rangeWithin,
  runWorkflowId,
  sensorWorkflowId,
  type BatchMessage,
} from '../../src/batch';
import { planBatches, type BufferedRecord } from '../../src/kafka/batch-planner';

function record(offset: number, valueBytes = 10): BufferedRecord {
  const message: BatchMessage = {
    offset: String(offset),
    key: null,
    value: { text: 'v'.repeat(valueBytes) },
    headers: {},
    timestamp: '0',
  };
  return { message, bytes: messageBytes(message) };
}

function queues(spec: Record<number, BufferedRecord[]>): Map<number, BufferedRecord[]> {
  return new Map(Object.entries(spec).map(([p, records]) => [Number(p), records]));
}

const roomy = { maxMessages: 3, maxBytes: 1_000_000, maxBatches: 10, maxTotalBytes: 10_000_000 };

describe('batch planning', () => {
  it('cuts consecutive records of one partition into batches of at most MAX_BATCH_SIZE', () => {
    const q = queues({ 0: [0, 1, 2, 3, 4].map((o) => record(o)) });
    const batches = planBatches('t', q, roomy);
    expect(batches.map((b) => [b.partition, b.firstOffset, b.lastOffset, b.messages.length])).toEqual([
      [0, '0', '2', 3],
      [0, '3', '4', 2],
    ]);
    expect(q.get(0)).toEqual([]);
  });

  it('never mixes partitions in one batch and serves partitions in turn', () => {
    const q = queues({ 0: [0, 1, 2, 3, 4, 5].map((o) => record(o)), 1: [10, 11].map((o) => record(o)) });
    const batches = planBatches('t', q, { ...roomy, maxBatches: 2 });
    expect(batches.map((b) => [b.partition, b.firstOffset, b.lastOffset])).toEqual([
      [0, '0', '2'],
      [1, '10', '11'],
    ]);
    expect(q.get(0)!.map((r) => r.message.offset)).toEqual(['3', '4', '5']);
  });

  it('holds each batch under the byte cap', () => {
    const q = queues({ 0: [0, 1, 2, 3].map((o) => record(o, 100)) });
    const perRecord = q.get(0)![0]!.bytes;
    const batches = planBatches('t', q, { ...roomy, maxMessages: 100, maxBytes: perRecord * 2 + 1 });
    expect(batches.map((b) => b.messages.length)).toEqual([2, 2]);
    for (const b of batches) expect(b.bytes).toBeLessThanOrEqual(perRecord * 2 + 1);
  });

  it('puts a record larger than the byte cap in a batch of its own instead of blocking its partition', () => {
    const q = queues({ 0: [record(0, 10), record(1, 5_000), record(2, 10)] });
    const batches = planBatches('t', q, { ...roomy, maxMessages: 100, maxBytes: 1_000 });
    expect(batches.map((b) => [b.firstOffset, b.lastOffset])).toEqual([
      ['0', '0'],
      ['1', '1'],
      ['2', '2'],
    ]);
  });

  it('keeps the total of one call under maxTotalBytes, but always returns at least one batch', () => {
    const q = queues({ 0: [0, 1, 2, 3].map((o) => record(o, 100)) });
    const perRecord = q.get(0)![0]!.bytes;
    const batches = planBatches('t', q, {
      maxMessages: 1,
      maxBytes: 10_000,
      maxBatches: 10,
      maxTotalBytes: perRecord * 2,
    });
    expect(batches).toHaveLength(2);
    const tiny = planBatches('t', queues({ 0: [record(0, 100)] }), { ...roomy, maxTotalBytes: 1 });
    expect(tiny).toHaveLength(1);
  });
});

describe('batches and run IDs', () => {
  it('derives the run ID from the pipeline (topic and group), the partition and the offsets only', () => {
    const id = runWorkflowId({ topic: 'events', partition: 3, firstOffset: '100', lastOffset: '199' }, 'loader');
    expect(id).toBe('microbatch-events-p3-100-199@loader');
  });

  it('gives two pipelines on one topic different run IDs for the same offsets', () => {
    const range = { topic: 'events', partition: 0, firstOffset: '0', lastOffset: '9' };
    expect(runWorkflowId(range, 'a')).not.toBe(runWorkflowId(range, 'b'));
  });

  it.each([
    ['events', 'microbatch-sensor'],
    ['orders-eu-p1-2', 'loader'],
    ['t-p1-2-3', 'g-p4-5-6'],
    ['a.b_c-p9-9-9', 'team@eu-p1-2-3@x'],
    ['x', '@'],
    ['x', "o'brien group"],
    ['microbatch-p1-2-3', ''],
  ])('reads topic %j, group %j, partition and offsets back from a run ID', (topic, groupId) => {
    const parts = { topic, partition: 12, firstOffset: '1000', lastOffset: '1999' };
    const id = runWorkflowId(parts, groupId);
    expect(parseRunWorkflowId(id)).toEqual({ ...parts, groupId });
  });

  it('refuses IDs that are not run IDs', () => {
    expect(parseRunWorkflowId('sensor-events-0@g')).toBeUndefined();
    expect(parseRunWorkflowId('microbatch-events-p3-100@g')).toBeUndefined();
    expect(parseRunWorkflowId('microbatch-events-p3-100')).toBeUndefined();
    expect(parseRunWorkflowId('microbatch-ev ents-p3-1-2@g')).toBeUndefined();
    // Every run ID names its group (the pipeline's): one without is nobody's.
    expect(parseRunWorkflowId('microbatch-events-p3-1-2')).toBeUndefined();
  });

  it.each([
    ['events', 'microbatch-sensor', 0],
    ['t-1-2', 'g-3@4', 11],
    ['x', '@-7', 2],
  ])('reads topic %j, group %j and replica %j back from a sensor ID', (topic, groupId, replica) => {
    const id = sensorWorkflowId(topic, groupId, replica);
    expect(id).toBe(`sensor-${topic}-${replica}@${groupId}`);
    expect(parseSensorWorkflowId(id)).toEqual({ topic, groupId, replica });
  });

  it('cuts a range down by offsets, estimating count and bytes from the span, exactly beyond 2^53', () => {
    const range = { topic: 't', partition: 2, firstOffset: '100', lastOffset: '106', count: 7, bytes: 700 };
    expect(rangeWithin(range, 104n, 106n)).toEqual({
      ...range,
      firstOffset: '104',
      lastOffset: '106',
      count: 3,
      bytes: 300,
    });
    const big = { ...range, firstOffset: '9007199254740993', lastOffset: '9007199254740995' };
    expect(rangeWithin(big, 9007199254740995n, 9007199254740995n)).toMatchObject({
      firstOffset: '9007199254740995',
      lastOffset: '9007199254740995',
      count: 1,
    });
  });

  it('takes only the range of a batch, without its records', () => {
    const q = queues({ 0: [0, 1, 2].map((o) => record(o)) });
    const [batch] = planBatches('t', q, roomy);
    expect(rangeOf(batch!)).toEqual({
      topic: 't',
      partition: 0,
      firstOffset: '0',
      lastOffset: '2',
      count: 3,
      bytes: batch!.bytes,
    });
  });
});
