// What process-batch counts, without a server: rows loaded as the sink reports them (a write
// repeated after a failed attempt adds nothing), dead letters, and failures by cause, of which
// those after which the run holds its records (a systemic failure at once, an outage only once
// Temporal's attempts are used up) are the batches held back.

import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createRunActivities, type RunActivityDeps } from '../../src/activities/run-activities';
import { RecordRejectedError, SinkUnavailableError } from '../../src/errors';
import { PipelineMetrics } from '../../src/metrics/pipeline-metrics';
import { transform } from '../../src/processing/transform';
import type { Sink, SinkRow } from '../../src/sink';
import { syntheticBatch } from '../synthetic-batch';

const ATTEMPTS = 5;

/** process-batch over `write`, run as attempt `attempt` of ATTEMPTS. */
function processBatch(write: Sink['write'], attempt = 1, transformRecord = transform) {
  const metrics = new PipelineMetrics({ topic: 'orders', groupId: 'loader' });
  const deps: RunActivityDeps = {
    sink: { write },
    deadLetters: { publish: async () => undefined },
    transform: transformRecord,
    records: { of: async (b) => b.messages ?? [], loaded: () => undefined },
    metrics,
  };
  const batch = syntheticBatch('orders', 2, 10, 4);
  const run = () =>
    new MockActivityEnvironment({ attempt }).run(createRunActivities(deps).processBatch, { batch, attempts: ATTEMPTS });
  return { metrics, run };
}

async function value(metric: { get(): Promise<{ values: Array<{ value: number; labels: object }> }> }, labels = {}) {
  const found = (await metric.get()).values.find((v) => JSON.stringify(v.labels) === JSON.stringify(labels));
  return found?.value ?? 0;
}

describe('process-batch metrics', () => {
  it('counts rows loaded as the sink reports them: a batch written again adds to already loaded, not loaded', async () => {
    const stored = new Set<string>();
    const write = async (rows: SinkRow[]) => {
      const fresh = rows.filter((r) => !stored.has(r.offset));
      for (const r of fresh) stored.add(r.offset);
      return { inserted: fresh.length, alreadyPresent: rows.length - fresh.length };
    };
    const { metrics, run } = processBatch(write);
    await run();
    await run();
    expect(await value(metrics.recordsLoaded, { partition: '2' })).toBe(4);
    expect(await value(metrics.recordsAlreadyLoaded, { partition: '2' })).toBe(4);
    expect((await metrics.endToEndLatency.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(4);
  });

  it('counts dead letters per partition', async () => {
    const rejectOdd: typeof transform = (r) => {
      if (Number(r.offset) % 2 === 1) throw new RecordRejectedError('odd');
      return transform(r);
    };
    const { metrics, run } = processBatch(async (rows) => ({ inserted: rows.length, alreadyPresent: 0 }), 1, rejectOdd);
    await run();
    expect(await value(metrics.recordsDeadLettered, { partition: '2' })).toBe(2);
    expect(await value(metrics.recordsLoaded, { partition: '2' })).toBe(2);
  });

  it('counts an outage as a held batch only on the last attempt', async () => {
    const down = async (): Promise<never> => {
      throw new SinkUnavailableError('database is locked');
    };
    for (const [attempt, held] of [
      [1, 0],
      [ATTEMPTS, 1],
    ] as const) {
      const { metrics, run } = processBatch(down, attempt);
      await expect(run()).rejects.toThrow('database is locked');
      expect(await value(metrics.processBatchFailures, { cause: 'SinkUnavailableError' })).toBe(1);
      expect(await value(metrics.batchesHeld, { cause: 'SinkUnavailableError' })).toBe(held);
    }
  });

  it('counts a systemic failure as a held batch at once', async () => {
    const broken: typeof transform = () => {
      throw new TypeError('transform is broken');
    };
    const { metrics, run } = processBatch(async () => ({ inserted: 0, alreadyPresent: 0 }), 1, broken);
    await expect(run()).rejects.toThrow('the same way');
    expect(await value(metrics.batchesHeld, { cause: 'SystemicFailureError' })).toBe(1);
    expect(await value(metrics.recordsLoaded, { partition: '2' })).toBe(0);
  });
});
