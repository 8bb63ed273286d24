// Two pipelines on one topic (issue "Runs for months", point 4): a pipeline is a topic and a
// consumer group, so two groups reading one topic into two sinks must share no sensor, no run and
// no task queue. Both run here in one process and one Temporal namespace, with their default task
// queues, as two `npm run worker` with different KAFKA_GROUP_IDs would.

import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import { parseRunWorkflowId, sensorWorkflowId } from '../../src/batch';
import { topicLag } from '../../src/kafka/lag';
import { RateProducer } from '../../src/producer/rate-producer';
import { countUnfinishedRuns, runsQuery } from '../../src/runs';
import { DeflateCodec } from '../../src/workers/compression-codec';
import { ensureSensors, runningSensorIds } from '../../src/workers/sensors';
import { statusQuery, type SensorInput } from '../../src/workflows/sensor';
import {
  cleanUp,
  connectServers,
  logger,
  openSink,
  sinkRows,
  startPipeline,
  stopSensors,
  testConfig,
  uniqueName,
  waitFor,
  type Servers,
} from '../helpers';

const MESSAGES = 5_000;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/**
 * One pipeline's config on `topic` with group `<topic>-<name>` and its own sink. Its task queues are
 * the defaults (`queues: 'default'`, derived per topic and group as `npm run worker` derives them),
 * or set by hand, one pair per pipeline, so the workflow IDs alone must keep the pipelines apart.
 */
function pipelineConfig(topic: string, name: string, queues: 'default' | 'own') {
  return testConfig({
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: `${topic}-${name}`,
    SENSOR_TASK_QUEUE: queues === 'default' ? '' : `${topic}-${name}-sensor`,
    RUNS_TASK_QUEUE: queues === 'default' ? '' : `${topic}-${name}-runs`,
    SENSOR_REPLICAS: '2',
    MAX_BATCH_SIZE: '250',
  });
}

/** The group a sensor was started with (its input, carried through continue-as-new). */
async function sensorInputGroup(servers: Servers, workflowId: string): Promise<string | undefined> {
  const history = await servers.client.workflow.getHandle(workflowId).fetchHistory();
  const [payload] = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  if (!payload) return undefined;
  const [decoded] = await new DeflateCodec().decode([payload]);
  return defaultPayloadConverter.fromPayload<SensorInput>(decoded!).groupId;
}

/** run_id of every row a sink holds for the topic. */
function sinkRunIds(config: { sqlitePath: string; topic: string }): string[] {
  const db = new Database(config.sqlitePath, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT DISTINCT run_id FROM events WHERE topic = ?').all(config.topic) as Array<{
      run_id: string;
    }>;
    return rows.map((r) => r.run_id);
  } finally {
    db.close();
  }
}

describe('two pipelines on one topic', () => {
  it.each([
    ['with the default task queues', 'default'],
    ['with task queues of their own set by hand', 'own'],
  ] as const)(
    'each group loads every record of the topic into its own sink once, and keeps its own sensors, %s',
    async (_, queues) => {
      const topic = uniqueName('t');
      const a = pipelineConfig(topic, 'a', queues);
      const b = pipelineConfig(topic, 'b', queues);
      const pipelines = [a, b];

      const servers = await connectServers(a);
      cleanups.push(async () => {
        for (const p of pipelines) await cleanUp(p, servers.admin);
        await servers.close();
      });
      await servers.admin.ensureTopic(a.topic, a.topicPartitions);
      await servers.admin.ensureTopic(a.dlqTopic, 1);

      for (const p of pipelines) {
        const sink = openSink(p);
        const running = await startPipeline(p, servers, { sink });
        cleanups.push(async () => {
          await stopSensors(servers.client, p);
          await running.stop();
          await sink.close();
        });
      }
      // As two `npm run worker` starting one after the other: b's must not touch a's sensors.
      for (const p of pipelines) await ensureSensors(servers.client, p, logger);

      const sent = await new RateProducer(servers.kafka, {
        topic: a.topic,
        ratePerSecond: 100_000,
        count: MESSAGES,
        messageBytes: 100,
        idempotent: true,
      }).run();
      expect(sent.sent).toBe(MESSAGES);

      for (const p of pipelines) {
        await waitFor(
          `${MESSAGES} rows in the sink of group ${p.groupId}`,
          () => {
            // Throwing names the count in the timeout message.
            const rows = sinkRows(p).length;
            if (rows !== MESSAGES) throw new Error(`${rows} rows so far`);
            return true;
          },
          120_000,
        );
      }

      for (const p of pipelines) {
        const rows = sinkRows(p);
        const seqs = new Set(rows.map((r) => (JSON.parse(r.payload!) as { seq: number }).seq));
        expect(seqs.size, `distinct records in ${p.groupId}'s sink`).toBe(MESSAGES);
        // Every offset of every partition once: rows per partition match the log's end.
        const lag = await topicLag(servers.admin, p.groupId, p.topic);
        expect(lag.partitions).toHaveLength(3);
        for (const part of lag.partitions) {
          const offsets = rows.filter((r) => r.partition === part.partition).map((r) => r.offset);
          expect(offsets, `${p.groupId}, partition ${part.partition}`).toEqual(
            Array.from({ length: Number(part.logEnd) }, (_, i) => i),
          );
        }
        // Loaded by this pipeline's runs only.
        const groups = new Set(sinkRunIds(p).map((id) => parseRunWorkflowId(id)?.groupId));
        expect([...groups]).toEqual([p.groupId]);
        await waitFor(
          `lag 0 for ${p.groupId}`,
          async () => (await topicLag(servers.admin, p.groupId, p.topic)).totalLag === 0,
          30_000,
        );
        await waitFor(
          `every run of ${p.groupId} finished`,
          async () => (await countUnfinishedRuns(servers.client, p)) === 0,
          30_000,
        );
        expect((await servers.client.workflow.count(runsQuery(p, 'Failed'))).count).toBe(0);
        expect((await servers.client.workflow.count(runsQuery(p))).count).toBeGreaterThan(0);
      }

      // Neither pipeline's sensors were taken over: each has its own two, started with its own group
      // and holding its own runs task queue (the settings b's worker signals go to b's sensors only).
      for (const p of pipelines) {
        const ids = [0, 1].map((r) => sensorWorkflowId(p.topic, p.groupId, r));
        for (const id of ids) {
          expect(await sensorInputGroup(servers, id), `input group of ${id}`).toBe(p.groupId);
          const status = await servers.client.workflow.getHandle(id).query(statusQuery);
          expect(status.settings.runsTaskQueue, `runs task queue of ${id}`).toBe(p.runsTaskQueue);
        }
        await waitFor(`visibility lists ${p.groupId}'s two sensors`, async () => {
          const running = await runningSensorIds(servers.client, p);
          return running.length === 2 && running.sort().join() === [...ids].sort().join();
        });
      }
      const allSensors = await servers.client.workflow.count(
        `WorkflowType = 'KafkaSensor' AND KafkaTopic = '${topic}' AND ExecutionStatus = 'Running'`,
      );
      expect(allSensors.count).toBe(4);
      expect(b.sensorTaskQueue).not.toBe(a.sensorTaskQueue);
      expect(b.runsTaskQueue).not.toBe(a.runsTaskQueue);
    },
  );
});
