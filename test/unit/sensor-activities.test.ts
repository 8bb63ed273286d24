// A sensor can only claim a consumer from a worker of its own pipeline (topic and group): another
// pipeline's consumer would hand it records it must not commit. Consume-batch hands out ranges or
// records depending on BATCH_PAYLOAD, and counts them for the pipeline's metrics.

import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import {
  createSensorActivities,
  inlineOrRange,
  type ConsumeResult,
  type HeldConsumer,
  type SensorActivityDeps,
} from '../../src/activities/sensor-activities';
import { rangeOf } from '../../src/batch';
import { MAX_BATCH_BYTES_INLINE } from '../../src/config';
import { BatchCache } from '../../src/kafka/batch-cache';
import { PipelineMetrics } from '../../src/metrics/pipeline-metrics';
import type { TakeRequest } from '../../src/kafka/sensor-consumer';
import { syntheticBatch } from '../synthetic-batch';

/** Something this test does not expect the activities to touch. */
function unused(what: string): never {
  throw new Error(`the activities used ${what}, which this test did not set up`);
}

/** The activities' dependencies for the pipeline of topic "orders", group "orders-loader". */
function depsWith(overrides: Partial<SensorActivityDeps>): SensorActivityDeps {
  return {
    registry: {
      get: () => unused('registry.get'),
      claim: () => unused('registry.claim'),
      keepFor: () => unused('registry.keepFor'),
      release: () => unused('registry.release'),
    },
    admin: { listTopics: () => unused('admin.listTopics') },
    workflows: { wake: () => unused('workflows.wake'), isRunning: () => unused('workflows.isRunning') },
    topic: 'orders',
    groupId: 'orders-loader',
    consumerTaskQueue: 'q/consumer/host/1',
    batchPayload: 'offsets',
    cache: {
      put: () => unused('cache.put'),
      waitForRoom: () => unused('cache.waitForRoom'),
      makeRoom: () => unused('cache.makeRoom'),
    },
    metrics: new PipelineMetrics({ topic: 'orders', groupId: 'orders-loader' }),
    ...overrides,
  };
}

function activities(claimed: number[]) {
  return createSensorActivities(
    depsWith({
      registry: {
        ...depsWith({}).registry,
        claim: async (replica: number) => void claimed.push(replica),
      },
      admin: { listTopics: async () => ['orders'] },
    }),
  );
}

describe('claiming a consumer', () => {
  it('is refused, naming both pipelines, when the sensor reads another topic or group', async () => {
    const claimed: number[] = [];
    const env = new MockActivityEnvironment();
    const { claimConsumer } = activities(claimed);
    await expect(
      env.run(claimConsumer, { topic: 'payments', groupId: 'orders-loader', replica: 0, idleTimeoutMs: 1 }),
    ).rejects.toMatchObject({
      type: 'WrongPipeline',
      nonRetryable: true,
      message: expect.stringContaining('consumes topic "orders" (group "orders-loader"), not "payments"'),
    });
    await expect(
      env.run(claimConsumer, { topic: 'orders', groupId: 'other', replica: 0, idleTimeoutMs: 1 }),
    ).rejects.toMatchObject({ type: 'WrongPipeline' });
    expect(claimed).toEqual([]);
  });

  it("returns this worker's own task queue when topic and group match", async () => {
    const claimed: number[] = [];
    const env = new MockActivityEnvironment();
    const result = await env.run(activities(claimed).claimConsumer, {
      topic: 'orders',
      groupId: 'orders-loader',
      replica: 2,
      idleTimeoutMs: 1,
    });
    expect(result).toEqual({ taskQueue: 'q/consumer/host/1' });
    expect(claimed).toEqual([2]);
  });
});

describe('consume-batch', () => {
  const request = {
    maxMessages: 10,
    maxBytes: 4_194_304,
    maxBatches: 5,
    maxTotalBytes: 4_194_304,
    maxWaitMs: 0,
    skipThrough: {},
  };

  /** The activities over a consumer that hands out one batch and records what it was asked. */
  function consuming(batchPayload: 'offsets' | 'records') {
    const asked: TakeRequest[] = [];
    const batch = syntheticBatch('orders', 1, 100, 3);
    const consumer: HeldConsumer = {
      exclusive: <T>(work: () => Promise<T>) => work(),
      findResetPartitions: async () => [],
      heldPartitions: [1],
      commit: async () => [],
      rewind: () => undefined,
      take: async (r: TakeRequest) => (asked.push(r), { batches: [batch], assignment: [1] }),
      resetTo: async () => [],
      wakeOnNextRecord: () => undefined,
    };
    const cache = new BatchCache(1_000_000);
    const metrics = new PipelineMetrics({ topic: 'orders', groupId: 'orders-loader' });
    const deps = depsWith({
      registry: { ...depsWith({}).registry, get: () => consumer },
      batchPayload,
      cache,
      metrics,
    });
    const consume = (): Promise<ConsumeResult> =>
      new MockActivityEnvironment().run(createSensorActivities(deps).consumeBatch, {
        replica: 0,
        request,
        commit: [],
        rewind: [],
      });
    return { asked, batch, cache, consume, metrics };
  }

  it('with BATCH_PAYLOAD=offsets returns ranges and keeps the records in the cache, without the result cap', async () => {
    const { asked, batch, cache, consume } = consuming('offsets');
    const result = await consume();
    expect(result.batches).toEqual([rangeOf(batch)]);
    expect(result.batches[0]).not.toHaveProperty('messages');
    expect(cache.get(batch)).toBe(batch.messages);
    expect(asked[0]!.maxTotalBytes).toBe(Number.MAX_SAFE_INTEGER);
    expect(asked[0]!.maxBytes).toBe(4_194_304);
  });

  it('with BATCH_PAYLOAD=records returns the records, capped to one Temporal payload whatever the sensor asked', async () => {
    const { asked, batch, cache, consume } = consuming('records');
    const result = await consume();
    expect(result.batches).toEqual([batch]);
    expect(cache.get(batch)).toBeUndefined();
    expect(asked[0]!.maxBytes).toBe(MAX_BATCH_BYTES_INLINE);
    expect(asked[0]!.maxTotalBytes).toBe(MAX_BATCH_BYTES_INLINE);
  });

  it('with BATCH_PAYLOAD=records a record too heavy for one payload travels as its offset range', () => {
    const batch = syntheticBatch('orders', 1, 100, 1);
    expect(inlineOrRange({ ...batch, bytes: MAX_BATCH_BYTES_INLINE })).toHaveProperty('messages');
    const heavy = { ...batch, bytes: MAX_BATCH_BYTES_INLINE + 1 };
    expect(inlineOrRange(heavy)).toEqual(rangeOf(heavy));
    expect(inlineOrRange(heavy)).not.toHaveProperty('messages');
  });

  it.each(['offsets', 'records'] as const)(
    'with BATCH_PAYLOAD=%s counts the records it hands out per partition, and the size of each batch',
    async (payload) => {
      const { consume, metrics } = consuming(payload);
      await consume();
      await consume();
      const consumed = await metrics.recordsConsumed.get();
      expect(consumed.values).toEqual([{ labels: { partition: '1' }, value: 6 }]);
      const sizes = await metrics.batchSizeRecords.get();
      expect(sizes.values.find((v) => v.metricName === 'microbatch_batch_size_records_sum')?.value).toBe(6);
      expect(sizes.values.find((v) => v.metricName === 'microbatch_batch_size_records_count')?.value).toBe(2);
      const bytes = await metrics.batchSizeBytes.get();
      expect(bytes.values.find((v) => v.metricName === 'microbatch_batch_size_bytes_sum')?.value).toBe(600);
    },
  );
});
