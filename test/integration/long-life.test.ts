// Runs for months: 14 simulated days of each long wait a pipeline can be left in, on Temporal's
// time-skipping test server (test/time-skipping.ts) with the real Kafka broker and a real SQLite
// sink. After each: the workflows still run, no single run of them passed 10,000 history events
// (they continued as new), their counters and pending commits survived, and records flow once the
// cause is gone.

import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { sensorWorkflowId } from '../../src/batch';
import { SinkUnavailableError } from '../../src/errors';
import type { KafkaClient } from '../../src/kafka/port';
import type { Sink } from '../../src/sink';
import { sensorSettingsFrom } from '../../src/workers/sensors';
import { KafkaSensor } from '../../src/workflows';
import { pauseSignal, resumeSignal, statusQuery } from '../../src/workflows/sensor';
import { logger, openSink, sinkRows, testConfig, testProducer, waitFor } from '../helpers';
import { createTimeSkippingEnv, skipTimeInBackground } from '../time-skipping';
import { startPipelineOnEnv, type PipelineOnEnvOptions } from '../pipeline-on-env';
import { historyLengths } from '../history-chain';
import type { Config } from '../../src/config';

const DAY_MS = 24 * 60 * 60 * 1000;
const FOURTEEN_DAYS_MS = 14 * DAY_MS;
/**
 * Real time one test may take: 14 simulated days cost one to two minutes here (each turn of a wait
 * loop runs a real activity against Kafka or the sink: about 25 ms).
 */
const TEST_TIMEOUT_MS = 420_000;
/** The bound the issue asks for; the workflows continue as new far below it (src/workflows/history.ts). */
const MOST_EVENTS_PER_RUN = 10_000;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse())
    await fn().catch((err) => logger.warn('cleanup', { err: String(err) }));
});

/** A time-skipping Temporal, the real Kafka, and the pipeline's workers for `config` on them. */
async function setUp(config: Config & { sinkDir: string }, options: PipelineOnEnvOptions = {}) {
  const env = await createTimeSkippingEnv();
  cleanups.push(() => env.teardown());
  return { env, ...(await startPipelineOnEnv(env, config, (fn) => cleanups.push(fn), options)) };
}

/** Starts replica 0's sensor, as `npm run worker` does (without the visibility list the test server lacks). */
async function startSensor(client: Client, config: Config) {
  const settings = sensorSettingsFrom(config);
  return client.workflow.start(KafkaSensor, {
    workflowId: sensorWorkflowId(config.topic, config.groupId, 0),
    taskQueue: config.sensorTaskQueue,
    args: [{ topic: config.topic, groupId: config.groupId, replica: 0, settings }],
  });
}

async function produce(kafka: KafkaClient, topic: string, from: number, count: number) {
  const producer = testProducer(kafka);
  await producer.send(
    topic,
    Array.from({ length: count }, (_, i) => ({ key: null, value: JSON.stringify({ seq: from + i }) })),
  );
  await producer.close();
}

async function expectBoundedAndRunning(env: TestWorkflowEnvironment, workflowId: string) {
  const { status } = await env.client.workflow.getHandle(workflowId).describe();
  expect(status.name, `${workflowId} still running`).toBe('RUNNING');
  const lengths = await historyLengths(env.client, workflowId);
  expect(lengths.length, `${workflowId} continued as new`).toBeGreaterThan(1);
  expect(Math.max(...lengths), `${workflowId}: longest run's history`).toBeLessThan(MOST_EVENTS_PER_RUN);
  return lengths;
}

describe('14 simulated days', () => {
  it(
    'a paused sensor keeps running with a bounded history, keeps its counters, and loses nothing on resume',
    async () => {
      const config = testConfig({ KAFKA_TOPIC_PARTITIONS: '2', SENSOR_REPLICAS: '1', MAX_BATCH_SIZE: '50' });
      const { env, kafka } = await setUp(config);
      const sensor = await startSensor(env.client, config);
      await produce(kafka, config.topic, 0, 100);
      await waitFor('the first 100 rows', () => sinkRows(config).length === 100, 60_000);
      await sensor.signal(pauseSignal);
      await waitFor('the sensor paused', async () => (await sensor.query(statusQuery)).phase === 'paused');
      const before = await sensor.query(statusQuery);
      // Records produced while it is paused wait in Kafka.
      await produce(kafka, config.topic, 100, 100);

      await env.sleep(FOURTEEN_DAYS_MS);

      const lengths = await expectBoundedAndRunning(env, sensor.workflowId);
      const after = await sensor.query(statusQuery);
      expect(after.paused).toBe(true);
      expect(after.continuedAsNew).toBeGreaterThanOrEqual(lengths.length - 1);
      expect(after.messages).toBe(before.messages);
      expect(after.batches).toBe(before.batches);
      expect(after.committed).toEqual(before.committed);
      expect(sinkRows(config)).toHaveLength(100);

      await sensor.signal(resumeSignal);
      await waitFor('all 200 rows after resume', () => sinkRows(config).length === 200, 60_000);
      expect(new Set(sinkRows(config).map((r) => `${r.partition}/${r.offset}`)).size).toBe(200);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a sensor held at the in-flight limit by a run whose sink is down: both keep running, bounded, and everything loads once the sink is back',
    async () => {
      const config = testConfig({
        KAFKA_TOPIC_PARTITIONS: '1',
        SENSOR_REPLICAS: '1',
        MAX_BATCH_SIZE: '10',
        // One run in flight: the test server stops skipping time for good once a run ends after the
        // sensor run that started it continued as new (sdk-java#1540, see test/time-skipping.ts),
        // so the recovery below must need no long timer after that first run ends.
        MAX_IN_FLIGHT_RUNS: '1',
        RUN_MAX_ATTEMPTS: '2',
        // Retries every 30 minutes once the outage is long, so 14 days take about a minute to
        // simulate; the history bound does not depend on the pace (each retry adds the same events).
        RUN_OUTAGE_MAX_BACKOFF: '30m',
      });
      let sinkDown = true;
      let refused = 0;
      const sqlite = openSink(config);
      cleanups.push(() => sqlite.close());
      const sink: Sink = {
        async write(rows) {
          if (sinkDown) {
            refused++;
            throw new SinkUnavailableError('database is down for maintenance');
          }
          return sqlite.write(rows);
        },
        async close() {},
      };
      const { env, kafka, admin } = await setUp(config, { sink });
      const sensor = await startSensor(env.client, config);
      await produce(kafka, config.topic, 0, 50);
      const atLimit = await waitFor('the sensor at the in-flight limit', async () => {
        const s = await sensor.query(statusQuery);
        return s.phase === 'at in-flight limit' && s.inFlightRuns === 1 ? s : undefined;
      });
      const run = env.client.workflow.getHandle(atLimit.lastBatch!.workflowId);

      await env.sleep(FOURTEEN_DAYS_MS);

      await expectBoundedAndRunning(env, sensor.workflowId);
      await expectBoundedAndRunning(env, run.workflowId);
      const after = await sensor.query(statusQuery);
      expect(after.phase).toBe('at in-flight limit');
      expect(after.messages).toBe(atLimit.messages);
      expect(after.batches).toBe(1);
      expect(after.inFlightRuns).toBe(1);
      // The commit of the first batch, pending when the wait began, landed and was kept.
      expect(after.committed).toEqual({ 0: '10' });
      expect(after.pendingCommit).toEqual({});
      expect(refused).toBeGreaterThan(100);
      expect(sinkRows(config)).toHaveLength(0);

      sinkDown = false;
      // The run retries within RUN_OUTAGE_MAX_BACKOFF of workflow time: skip to it, without waiting
      // for the whole hour (time stops skipping once the run has ended, see above). The run then
      // tells the sensor, which takes the rest at once.
      const stopSkipping = skipTimeInBackground(env, 60 * 60_000);
      cleanups.push(stopSkipping);
      expect(await run.result()).toMatchObject({ messages: 10, loaded: 10, deadLettered: 0 });
      await waitFor('all 50 rows once the sink is back', () => sinkRows(config).length === 50, 120_000);
      expect(sinkRows(config).map((r) => r.offset)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      const dlqEnd = await admin.partitionBounds(config.dlqTopic);
      expect(dlqEnd.reduce((sum, p) => sum + Number(p.high), 0)).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a sensor whose topic is missing keeps running, bounded, and starts once the topic exists',
    async () => {
      // Retries every 10 minutes once the topic has been missing a while (see the outage test above).
      const config = testConfig({ KAFKA_TOPIC_PARTITIONS: '1', SENSOR_REPLICAS: '1', SENSOR_RETRY_MAX_BACKOFF: '10m' });
      const { env, kafka, admin } = await setUp(config, { createTopic: false });
      const sensor = await startSensor(env.client, config);
      await waitFor('the sensor to report the missing topic', async () =>
        /does not exist/.test((await sensor.query(statusQuery)).lastError?.message ?? ''),
      );

      await env.sleep(FOURTEEN_DAYS_MS);

      await expectBoundedAndRunning(env, sensor.workflowId);
      expect((await sensor.query(statusQuery)).phase).toBe('claiming consumer');

      await admin.ensureTopic(config.topic, 1);
      await admin.ensureTopic(config.dlqTopic, 1);
      await produce(kafka, config.topic, 0, 30);
      // The sensor claims its consumer at its next retry, within SENSOR_RETRY_MAX_BACKOFF.
      await env.sleep(20 * 60_000);
      await waitFor('all 30 rows once the topic exists', () => sinkRows(config).length === 30, 120_000);
      // The old error stays visible, marked as over.
      const { lastError } = await sensor.query(statusQuery);
      expect(lastError?.message).toMatch(/does not exist/);
      expect(lastError?.recoveredAt).toBeDefined();
    },
    TEST_TIMEOUT_MS,
  );
});
