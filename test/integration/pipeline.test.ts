// The whole pipeline against the real servers: producer → Kafka → sensors → MicroBatchRuns → sink,
// into each sink: the SQLite file and the real PostgreSQL server.

import { describe, expect, it } from 'vitest';
import { sensorWorkflowId } from '../../src/batch';
import type { Config } from '../../src/config';
import { topicLag } from '../../src/kafka/lag';
import { countUnfinishedRuns, runsQuery } from '../../src/runs';
import { openSink, type Sink } from '../../src/sink';
import { ensureSensors } from '../../src/workers/sensors';
import { statusQuery } from '../../src/workflows/sensor';
import { logger, testConfig, waitFor } from '../helpers';
import { cleanupAfterEach, produce, setUpPipeline } from '../pipeline-harness';
import { createTestDatabase } from '../postgres';
import { SINKS, sinkView, type SinkKind } from '../sink-view';

const defer = cleanupAfterEach();

/** The sink under test and a way to read its rows, as a user would (sqlite3 shell, psql). */
async function sinkUnderTest(kind: SinkKind, overrides: Record<string, string>) {
  const db = kind === 'postgres' ? await createTestDatabase() : undefined;
  if (db) defer(() => db.drop());
  const config = testConfig(db ? { ...overrides, SINK: 'postgres', DATABASE_URL: db.url } : overrides);
  // The SQLite sink is opened by the harness; PostgreSQL's is opened here, as the worker would.
  const sink: Sink | undefined = db ? await openSink(config, logger) : undefined;
  if (sink) defer(() => sink.close());
  const view = sinkView(config);
  defer(() => view.close());
  return { config, sink, rows: () => view.rows() };
}

describe('the pipeline', () => {
  it.each(SINKS)(
    'loads 20,000 messages from 6 partitions through 2 sensor replicas exactly once, with lag 0 (%s sink)',
    async (kind) => {
      const {
        config,
        sink,
        rows: rowsOf,
      } = await sinkUnderTest(kind, {
        KAFKA_TOPIC_PARTITIONS: '6',
        SENSOR_REPLICAS: '2',
        MAX_BATCH_SIZE: '500',
      });
      const { servers } = await setUpPipeline(config as Config & { sinkDir: string }, defer, { sink });
      await ensureSensors(servers.client, config, logger);
      const produced = produce(servers, config.topic, 20_000, 10_000);

      await waitFor('20,000 rows in the sink', async () => (await rowsOf()).length === 20_000, 150_000);
      expect((await produced).sent).toBe(20_000);

      const rows = await rowsOf();
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
      await waitFor(
        'every run finished',
        async () => (await countUnfinishedRuns(servers.client, config)) === 0,
        30_000,
      );
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
    },
  );
});
