// Shared pieces of the integration tests: unique names per test, a config pointing at them, a
// running pipeline in this process, and polling until a condition holds. Every helper that opens
// something returns a way to close it; tests close everything in afterEach/afterAll.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkflowBundle } from '@temporalio/worker';
import Database from 'better-sqlite3';
import { loadConfig, type Config } from '../src/config';
import { createKafkaClient } from '../src/kafka/client';
import type { DeadLetterPublisher } from '../src/kafka/dead-letter';
import { createKafka } from '../src/kafka/kafkajs/kafka';
import type { KafkaAdmin, KafkaClient, KafkaRecord, RecordPublisher } from '../src/kafka/port';
import { createLogger } from '../src/logger';
import type { SourceRecord, TransformedRecord } from '../src/processing/transform';
import { ThreadedSqliteSink } from '../src/sink/threaded-sqlite-sink';
import type { Sink } from '../src/sink';
import { connectAdmin, connectClient, connectWorkerConnection, installTemporalLogger } from '../src/workers/connect';
import { createPipeline, type Pipeline } from '../src/workers/pipeline';
import { loadWorkflowBundle } from '../src/workers/workflow-bundle';
import { sensorWorkflowId } from '../src/batch';
import { stopSignal } from '../src/workflows/sensor';

export const logger = createLogger((process.env.TEST_LOG_LEVEL as Config['logLevel']) ?? 'warn', 'test');

/**
 * The producer every test seeds its topic with. Idempotent, so that each message is written once:
 * a plain producer resends a request whose answer was slow in coming (a busy broker on a loaded
 * machine), and the partition then holds that batch twice, at offsets no test expects.
 */
export function testProducer(kafka: KafkaClient): RecordPublisher {
  return kafka.publisher({ idempotent: true });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** A config whose topic, group, task queues and sink file belong to one test alone. */
export function testConfig(overrides: Record<string, string> = {}): Config & { sinkDir: string } {
  const name = uniqueName('t');
  const sinkDir = mkdtempSync(join(tmpdir(), 'microbatch-test-'));
  const config = loadConfig({
    // Where the servers are, and which Kafka client library to test (KAFKA_CLIENT=platformatic runs
    // the suite on the second one), may come from the environment; everything else is the test's own.
    ...pick(process.env, ['KAFKA_BROKERS', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'KAFKA_CLIENT']),
    KAFKA_TOPIC: name,
    KAFKA_GROUP_ID: `${name}-group`,
    SENSOR_TASK_QUEUE: `${name}-sensor`,
    RUNS_TASK_QUEUE: `${name}-runs`,
    SQLITE_PATH: join(sinkDir, 'sink.sqlite'),
    KAFKA_TOPIC_PARTITIONS: '3',
    MAX_BATCH_WAIT: '300ms',
    MAX_SENSOR_TICK_RUNTIME: '10s',
    TIME_BETWEEN_SENSOR_TICKS: '500ms',
    RUN_RETRY_INITIAL_INTERVAL: '100ms',
    ...overrides,
  });
  return { ...config, sinkDir };
}

function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  return Object.fromEntries(names.filter((n) => env[n]).map((n) => [n, env[n]!]));
}

let bundle: Promise<WorkflowBundle> | undefined;
/** The workflow bundle, read once per test file (built once per version of the code: src/workers/workflow-bundle.ts). */
export function sharedBundle(): Promise<WorkflowBundle> {
  return (bundle ??= loadWorkflowBundle());
}

export interface Servers {
  kafka: KafkaClient;
  admin: KafkaAdmin;
  client: Client;
  connection: NativeConnection;
  close(): Promise<void>;
}

export async function connectServers(config: Config): Promise<Servers> {
  installTemporalLoggerOnce();
  const kafka = await createKafkaClient(config, logger);
  const admin = await connectAdmin(kafka, config, logger);
  const client = await connectClient(config, logger);
  const connection = await connectWorkerConnection(config, logger);
  return {
    kafka,
    admin,
    client,
    connection,
    async close() {
      await admin.close();
      await client.connection.close();
      await connection.close();
    },
  };
}

let temporalLoggerInstalled = false;
/**
 * The Temporal runtime can be installed once per process (a test file): a test that wants the
 * SDK's metrics endpoint calls this before anything connects.
 */
export function installTemporalLoggerOnce(metrics?: { host: string; port: number; setting: string }) {
  if (!temporalLoggerInstalled) installTemporalLogger('warn', metrics);
  temporalLoggerInstalled = true;
}

export interface RunningPipeline {
  pipeline: Pipeline;
  done: Promise<void>;
  stop(): Promise<void>;
}

/** Starts the workers of `config` in this process, as `npm run worker` would. */
export async function startPipeline(
  config: Config,
  servers: Servers,
  options: { sink: Sink; transform?: (r: SourceRecord) => TransformedRecord; deadLetters?: DeadLetterPublisher },
): Promise<RunningPipeline> {
  const pipeline = await createPipeline({
    config,
    connection: servers.connection,
    client: servers.client,
    kafka: servers.kafka,
    admin: servers.admin,
    sink: options.sink,
    logger,
    transform: options.transform,
    deadLetters: options.deadLetters,
    workflowBundle: await sharedBundle(),
  });
  const done = pipeline.run();
  return {
    pipeline,
    done,
    async stop() {
      pipeline.shutdown();
      await done;
    },
  };
}

export function openSink(config: Config): ThreadedSqliteSink {
  // As src/sink's openSink opens it, in the test's write mode (SINK_WRITE_MODE=replace tests).
  return new ThreadedSqliteSink(config.sqlitePath, config.sinkWriteMode);
}

/** Reads the sink file directly, as a user would with the sqlite3 shell. */
export function sinkRows(
  config: Config,
): Array<{ partition: number; offset: number; key: string | null; payload: string | null }> {
  const db = new Database(config.sqlitePath, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare('SELECT partition, "offset", key, payload FROM events WHERE topic = ? ORDER BY partition, "offset"')
      .all(config.topic) as never;
  } finally {
    db.close();
  }
}

export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A record read back from a topic, with the partition it is in. */
export interface TopicRecord extends KafkaRecord {
  partition: number;
}

/** How many records `topic` holds now, by its partitions' bounds (dense offsets: no transactions). */
export async function recordCount(admin: KafkaAdmin, topic: string): Promise<number> {
  const bounds = await admin.partitionBounds(topic);
  return bounds.reduce((sum, p) => sum + Number(BigInt(p.high) - BigInt(p.low)), 0);
}

/**
 * Every record of `topic`, partition by partition in offset order, read through the port's range
 * reader over each partition's bounds [low, high - 1], outside any consumer group's progress. First
 * waits until the topic holds at least `expected` records, and a moment more, so that a record
 * beyond those is read too.
 */
export async function readTopic(
  servers: Pick<Servers, 'kafka' | 'admin'>,
  topic: string,
  expected: number,
  timeoutMs = 60_000,
): Promise<TopicRecord[]> {
  await waitFor(
    `${expected} records on ${topic}`,
    async () => (await recordCount(servers.admin, topic)) >= expected,
    timeoutMs,
  );
  await new Promise((r) => setTimeout(r, 500)); // and no more than that
  const reader = servers.kafka.rangeReader({ topic, groupIdPrefix: uniqueName('reader'), readTimeoutMs: timeoutMs });
  const records: TopicRecord[] = [];
  try {
    for (const { partition, low, high } of await servers.admin.partitionBounds(topic)) {
      if (BigInt(high) <= BigInt(low)) continue;
      const read = await reader.read(partition, low, (BigInt(high) - 1n).toString());
      records.push(...read.map((record) => ({ ...record, partition })));
    }
  } finally {
    await reader.close();
  }
  return records;
}

/**
 * Deletes the records of `topic`/`partition` below `offset`, as retention would. The port has no
 * deleteRecords (the pipeline never deletes records), so this one goes to kafkajs directly.
 */
export async function deleteRecordsBelow(config: Config, topic: string, partition: number, offset: string) {
  const admin = createKafka(config, logger).admin();
  await admin.connect();
  try {
    // kafkajs finds the partition's leader in the metadata it holds: a new admin must fetch it first.
    await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.deleteTopicRecords({ topic, partitions: [{ partition, offset }] });
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the test's topics and sink folder. */
export async function cleanUp(config: Config & { sinkDir: string }, admin: KafkaAdmin): Promise<void> {
  const existing = await admin.listTopics();
  for (const topic of [config.topic, config.dlqTopic].filter((t) => existing.includes(t))) {
    await admin.deleteTopic(topic).catch(() => undefined);
  }
  rmSync(config.sinkDir, { recursive: true, force: true });
}

/** Stops the test's sensors (terminating one that does not stop within 20 s). */
export async function stopSensors(client: Client, config: Config): Promise<void> {
  for (let replica = 0; replica < config.sensorReplicas; replica++) {
    const handle = client.workflow.getHandle(sensorWorkflowId(config.topic, config.groupId, replica));
    await handle.signal(stopSignal).catch(() => undefined);
    // The timer is cleared once the race is decided, so a stopped sensor leaves no 20 s timer
    // holding the test file's process open after its last test.
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      handle.result().then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 20_000))),
    ]).finally(() => clearTimeout(timer));
    if (!stopped) await handle.terminate('test cleanup: the sensor did not stop within 20 s').catch(() => undefined);
  }
}
