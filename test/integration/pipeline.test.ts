// The whole pipeline against the real servers: producer → Kafka → sensors → MicroBatchRuns → sink.

import { describe, expect, it } from 'vitest';
import { sensorWorkflowId } from '../../src/batch';
import { topicLag } from '../../src/kafka/lag';
import { countUnfinishedRuns, runsQuery } from '../../src/runs';
import { ensureSensors } from '../../src/workers/sensors';
import { statusQuery } from '../../src/workflows/sensor';
import { logger, sinkRows, testConfig, waitFor } from '../helpers';
import { cleanupAfterEach, produce, setUpPipeline } from '../pipeline-harness';

const defer = cleanupAfterEach();

describe('the pipeline', () => {
  it('loads 20,000 messages from 6 partitions through 2 sensor replicas exactly once, with lag 0', async () => {
    const config = testConfig({ KAFKA_TOPIC_PARTITIONS: '6', SENSOR_REPLICAS: '2', MAX_BATCH_SIZE: '500' });
    const { servers } = await setUpPipeline(config, defer);
    await ensureSensors(servers.client, config, logger);
    const produced = produce(servers, config.topic, 20_000, 10_000);

    await waitFor('20,000 rows in the sink', () => sinkRows(config).length === 20_000, 150_000);
    expect((await produced).sent).toBe(20_000);

    const rows = sinkRows(config);
    const seqs = new Set(rows.map((r) => (JSON.parse(r.payload!) as { seq: number }).seq));
    expect(seqs.size).toBe(20_000);
    expect(Math.min(...seqs)).toBe(0);
    expect(Math.max(...seqs)).toBe(19_999);
    // Every offset of every partition is there once: rows per partition match the log's end.
    const lagNow = await topicLag(servers.admin, config.groupId, config.topic);
    for (const p of lagNow.partitions) {
      const offsets = rows.filter((r) => r.partition === p.partition).map((r) => r.offset);
      expect(offsets).toEqual(Array.from({ length: Number(p.logEnd) }, (_, i) => i));
    }
    expect(new Set(rows.map((r) => r.partition)).size).toBe(6);

    await waitFor(
      'lag 0',
      async () => (await topicLag(servers.admin, config.groupId, config.topic)).totalLag === 0,
      30_000,
    );
    await waitFor('every run finished', async () => (await countUnfinishedRuns(servers.client, config)) === 0, 30_000);
    const failed = await servers.client.workflow.count(runsQuery(config, 'Failed'));
    expect(failed.count).toBe(0);

    // Both replicas took part, and their counters add up to at least every message.
    const statuses = await Promise.all(
      [0, 1].map((r) =>
        servers.client.workflow.getHandle(sensorWorkflowId(config.topic, config.groupId, r)).query(statusQuery),
      ),
    );
    for (const s of statuses) expect(s.messages).toBeGreaterThan(0);
    expect(statuses.reduce((sum, s) => sum + s.messages, 0)).toBeGreaterThanOrEqual(20_000);
  });
});
