// MicroBatchRun and the sink against the real servers: idempotent runs, the in-flight cap under a
// slow sink, bad records to the dead-letter topic while the rest load, outages retried not
// dead-lettered.

import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { runWorkflowId, sensorWorkflowId, type Batch } from '../../src/batch';
import { SinkUnavailableError } from '../../src/errors';
import { DLQ_HEADERS } from '../../src/kafka/dead-letter';
import { toBatchMessage } from '../../src/kafka/encoding';
import type { KafkaRecord } from '../../src/kafka/port';
import { topicLag } from '../../src/kafka/lag';
import { makeMessage } from '../../src/producer/rate-producer';
import { transform, type SourceRecord } from '../../src/processing/transform';
import type { Sink, SinkRow } from '../../src/sink';
import { runsQuery } from '../../src/runs';
import { ensureSensors, sensorSettingsFrom } from '../../src/workers/sensors';
import { MicroBatchRun } from '../../src/workflows';
import { statusQuery } from '../../src/workflows/sensor';
import {
  deleteRecordsBelow,
  logger,
  openSink,
  readTopic,
  sinkRows,
  testConfig,
  testProducer,
  waitFor,
  type Servers,
} from '../helpers';
import { cleanupAfterEach, produce, setUpPipeline } from '../pipeline-harness';

const defer = cleanupAfterEach();

function header(m: KafkaRecord, name: string): string | undefined {
  return m.headers?.[name]?.toString();
}

/**
 * Every activity a pipeline's runs scheduled, as its type and the attempt it ended on (Temporal
 * writes an activity's started event once, when the activity ends, with its last attempt), once
 * no run of the pipeline is running any more.
 */
async function activityAttempts(servers: Servers, config: { topic: string; groupId: string }) {
  await waitFor('the runs to finish', async () => {
    const all = (await servers.client.workflow.count(runsQuery(config))).count;
    return all > 0 && (await servers.client.workflow.count(runsQuery(config, 'Running'))).count === 0;
  });
  const attempts: Array<{ run: string; activity: string; attempt: number }> = [];
  for await (const run of servers.client.workflow.list({ query: runsQuery(config) })) {
    const history = await servers.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    const types = new Map<string, string>();
    for (const event of history.events ?? []) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled) types.set(String(event.eventId), scheduled.activityType?.name ?? '?');
      const started = event.activityTaskStartedEventAttributes;
      if (started) {
        const activity = types.get(String(started.scheduledEventId)) ?? '?';
        attempts.push({ run: run.workflowId, activity, attempt: started.attempt ?? 0 });
      }
    }
  }
  return attempts;
}

/** Delays each write and records how many writes overlap. */
class SlowSink implements Sink {
  active = 0;
  peak = 0;
  constructor(
    private readonly inner: Sink,
    private readonly delayMs: number,
  ) {}
  async write(rows: SinkRow[]) {
    this.active++;
    this.peak = Math.max(this.peak, this.active);
    try {
      await new Promise((r) => setTimeout(r, this.delayMs));
      return await this.inner.write(rows);
    } finally {
      this.active--;
    }
  }
  async close() {}
}

describe('micro-batch runs', () => {
  it('a batch started twice is loaded once, and an overlapping re-read changes nothing', async () => {
    const config = testConfig({ WORKER_ROLES: 'runs' });
    const { servers } = await setUpPipeline(config, defer);
    const messages = Array.from({ length: 20 }, (_, i) => {
      const m = makeMessage(i, 100);
      return toBatchMessage({
        key: Buffer.from(m.key as string),
        value: Buffer.from(m.value as string),
        offset: String(i),
        timestamp: '0',
        headers: {},
      });
    });
    const batch: Batch = {
      topic: config.topic,
      partition: 0,
      firstOffset: '0',
      lastOffset: '19',
      count: 20,
      bytes: 2_000,
      messages,
    };
    const options = {
      taskQueue: config.runsTaskQueue,
      workflowId: runWorkflowId(batch, config.groupId),
      args: [{ batch, settings: sensorSettingsFrom(config).run }] as [Parameters<typeof MicroBatchRun>[0]],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    };
    const first = await servers.client.workflow.execute(MicroBatchRun, options);
    expect(first).toMatchObject({ messages: 20, loaded: 20, alreadyLoaded: 0, deadLettered: 0 });
    await expect(servers.client.workflow.start(MicroBatchRun, options)).rejects.toBeInstanceOf(
      WorkflowExecutionAlreadyStartedError,
    );

    // A re-read after a rebalance can cut the same records differently: a new run ID, no new rows.
    const overlap: Batch = { ...batch, firstOffset: '10', count: 10, messages: messages.slice(10) };
    const second = await servers.client.workflow.execute(MicroBatchRun, {
      ...options,
      workflowId: runWorkflowId(overlap, config.groupId),
      args: [{ batch: overlap, settings: options.args[0].settings }],
    });
    expect(second).toMatchObject({ messages: 10, loaded: 0, alreadyLoaded: 10 });
    expect(sinkRows(config)).toHaveLength(20);
  });

  it('a run that carries only offsets reads its records back from Kafka when this worker did not consume them', async () => {
    // A runs-only worker has consumed nothing, so its memory holds no batch: every record comes from Kafka.
    const config = testConfig({ WORKER_ROLES: 'runs', KAFKA_TOPIC_PARTITIONS: '1' });
    const { servers } = await setUpPipeline(config, defer);
    await produce(servers, config.topic, 50);
    const range = { topic: config.topic, partition: 0, firstOffset: '0', lastOffset: '49', count: 50, bytes: 5_000 };
    const run = (batch: typeof range) =>
      servers.client.workflow.execute(MicroBatchRun, {
        taskQueue: config.runsTaskQueue,
        workflowId: runWorkflowId(batch, config.groupId),
        args: [{ batch, settings: sensorSettingsFrom(config).run }],
      });

    const first20 = { ...range, lastOffset: '19', count: 20 };
    expect(await run(first20)).toMatchObject({ messages: 20, loaded: 20, alreadyLoaded: 0, deadLettered: 0 });
    const rows = sinkRows(config);
    expect(rows.map((r) => r.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(rows.map((r) => JSON.parse(r.payload!).seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));

    // Records Kafka no longer has (retention, here deleteRecords up to offset 30) or never had (past
    // the end: a recreated topic) cannot load. The run loads the rest of its range, then fails naming
    // exactly the missing offsets.
    // (A busy broker may answer one deleteRecords with a passing partition error: ask again.)
    await waitFor('records below offset 30 deleted', async () => {
      await deleteRecordsBelow(config, config.topic, 0, '30');
      return true;
    });
    const failureOf = async (batch: typeof range) => {
      const failure = await run(batch).catch((err: Error) => err);
      expect(failure).toBeInstanceOf(Error);
      return (failure as Error & { cause?: Error & { type?: string } }).cause;
    };
    const straddlingStart = await failureOf({ ...range, firstOffset: '25', lastOffset: '39', count: 15 });
    expect(straddlingStart?.type).toBe('RecordsUnavailableError');
    expect(straddlingStart?.message).toMatch(/^offsets 25–29 of \S+ partition 0 are not in Kafka/);
    expect(straddlingStart?.message).toContain('10 loaded');
    const straddlingEnd = await failureOf({ ...range, firstOffset: '45', lastOffset: '59', count: 15 });
    expect(straddlingEnd?.message).toMatch(/^offsets 50–59 of \S+ partition 0 are not in Kafka/);
    expect(straddlingEnd?.message).toContain('5 loaded');
    const allGone = await failureOf({ ...range, firstOffset: '20', lastOffset: '24', count: 5 });
    expect(allGone?.message).toMatch(/^offsets 20–24 of /);
    expect(sinkRows(config).map((r) => r.offset)).toEqual([
      ...Array.from({ length: 20 }, (_, i) => i),
      ...Array.from({ length: 10 }, (_, i) => 30 + i),
      ...Array.from({ length: 5 }, (_, i) => 45 + i),
    ]);
  });

  it('holds the in-flight cap under a slow sink; the rest waits in Kafka as lag', async () => {
    const config = testConfig({
      MAX_IN_FLIGHT_RUNS: '2',
      SENSOR_REPLICAS: '1',
      MAX_BATCH_SIZE: '50',
      MAX_CONCURRENT_RUNS: '10',
    });
    const sinkHolder = { slow: undefined as SlowSink | undefined };
    const base = openSink(config);
    sinkHolder.slow = new SlowSink(base, 250);
    defer(() => base.close());
    const { servers } = await setUpPipeline(config, defer, { sink: sinkHolder.slow });
    await produce(servers, config.topic, 600);
    await ensureSensors(servers.client, config, logger);
    const handle = servers.client.workflow.getHandle(sensorWorkflowId(config.topic, config.groupId, 0));

    let peakStatus = 0;
    let lagSeen = 0;
    await waitFor(
      'all 600 rows',
      async () => {
        const status = await handle.query(statusQuery).catch(() => undefined);
        peakStatus = Math.max(peakStatus, status?.inFlightRuns ?? 0);
        lagSeen = Math.max(lagSeen, (await topicLag(servers.admin, config.groupId, config.topic)).totalLag);
        return sinkRows(config).length === 600;
      },
      120_000,
    );
    expect(sinkHolder.slow.peak).toBeLessThanOrEqual(2);
    expect(peakStatus).toBeLessThanOrEqual(2);
    expect(lagSeen).toBeGreaterThan(100); // the backlog waited in Kafka
  });

  it('sends bad records to the dead-letter topic with the reason, and loads the rest', async () => {
    const config = testConfig({ SENSOR_REPLICAS: '1', KAFKA_TOPIC_PARTITIONS: '1' });
    const { servers } = await setUpPipeline(config, defer);
    const producer = testProducer(servers.kafka);
    await producer.send(config.topic, [
      { key: 'good-1', value: '{"n":1}' },
      { key: 'bad-json', value: 'not json {' },
      { key: 'bad-utf8', value: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) },
      { key: 'empty', value: '' },
      { key: 'tombstone', value: null },
      { key: null, value: '{"n":2}' },
      { key: 'good-3', value: '{"n":3}', headers: { trace: 'abc' } },
    ]);
    await producer.close();
    await ensureSensors(servers.client, config, logger);

    await waitFor('4 rows', () => sinkRows(config).length === 4, 60_000);
    const rows = sinkRows(config);
    expect(rows.map((r) => [r.offset, r.key, r.payload])).toEqual([
      [0, 'good-1', '{"n":1}'],
      [4, 'tombstone', null],
      [5, null, '{"n":2}'],
      [6, 'good-3', '{"n":3}'],
    ]);

    const dead = await readTopic(servers, config.dlqTopic, 3);
    expect(dead).toHaveLength(3);
    const byKey = new Map(dead.map((m) => [m.key!.toString(), m]));
    expect(header(byKey.get('bad-json')!, DLQ_HEADERS.error)).toMatch(/not valid JSON/);
    expect(header(byKey.get('bad-utf8')!, DLQ_HEADERS.error)).toMatch(/not valid UTF-8/);
    expect(header(byKey.get('empty')!, DLQ_HEADERS.error)).toBe('value is empty');
    const badUtf8 = byKey.get('bad-utf8')!;
    expect(badUtf8.value!.equals(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toBe(true); // bytes kept as they were
    expect(header(badUtf8, DLQ_HEADERS.topic)).toBe(config.topic);
    expect(header(badUtf8, DLQ_HEADERS.partition)).toBe('0');
    expect(header(badUtf8, DLQ_HEADERS.offset)).toBe('2');
    expect(header(badUtf8, DLQ_HEADERS.errorType)).toBe('RecordRejectedError');
    expect(header(badUtf8, DLQ_HEADERS.run)).toMatch(/^microbatch-/);
  });

  it('rejects a value nested too deeply to serialise on the first attempt: dead-lettered with the reason, its batch-mates loaded, nothing retried', async () => {
    const config = testConfig({ SENSOR_REPLICAS: '1', KAFKA_TOPIC_PARTITIONS: '1', RUN_MAX_ATTEMPTS: '3' });
    const { servers } = await setUpPipeline(config, defer);
    // Valid JSON that JSON.parse reads but JSON.stringify cannot write back (its stack overflows).
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const producer = testProducer(servers.kafka);
    await producer.send(config.topic, [
      ...Array.from({ length: 10 }, (_, i) => ({ key: `good-${i}`, value: JSON.stringify({ seq: i }) })),
      { key: 'deep', value: deep },
      ...Array.from({ length: 10 }, (_, i) => ({ key: `good-${11 + i}`, value: JSON.stringify({ seq: 11 + i }) })),
    ]);
    await producer.close();
    await ensureSensors(servers.client, config, logger);

    await waitFor('20 rows', () => sinkRows(config).length === 20, 60_000);
    expect(sinkRows(config).map((r) => r.offset)).toEqual([...Array(21).keys()].filter((o) => o !== 10));
    const [dead] = await readTopic(servers, config.dlqTopic, 1);
    expect(dead!.key!.toString()).toBe('deep');
    expect(dead!.value!.toString()).toBe(deep);
    expect(header(dead!, DLQ_HEADERS.error)).toBe(
      'value nests too deeply to serialise: RangeError: Maximum call stack size exceeded',
    );
    expect(header(dead!, DLQ_HEADERS.errorType)).toBe('RecordRejectedError');
    expect(header(dead!, DLQ_HEADERS.attempts)).toBe('1');
    // Rejected, not retried: every run loaded its batch with one process-batch attempt, none split.
    const attempts = await activityAttempts(servers, config);
    expect(attempts.length).toBeGreaterThan(0);
    for (const a of attempts) expect(a).toMatchObject({ activity: 'processBatch', attempt: 1 });
  });

  it('dead-letters a record that keeps failing after its retries, and loads its batch-mates', async () => {
    const config = testConfig({ SENSOR_REPLICAS: '1', KAFKA_TOPIC_PARTITIONS: '1', RUN_MAX_ATTEMPTS: '2' });
    const poisonSeq = 37;
    const failing = (record: SourceRecord) => {
      const out = transform(record);
      if ((out.payload as { seq: number }).seq === poisonSeq) throw new Error(`downstream refused record ${poisonSeq}`);
      return out;
    };
    const { servers } = await setUpPipeline(config, defer, { transform: failing });
    await produce(servers, config.topic, 100);
    await ensureSensors(servers.client, config, logger);

    await waitFor('99 rows', () => sinkRows(config).length === 99, 90_000);
    const [dead] = await readTopic(servers, config.dlqTopic, 1);
    expect(JSON.parse(dead!.value!.toString()).seq).toBe(poisonSeq);
    expect(header(dead!, DLQ_HEADERS.error)).toBe(`downstream refused record ${poisonSeq}`);
    expect(header(dead!, DLQ_HEADERS.errorType)).toBe('Error');
    expect(header(dead!, DLQ_HEADERS.attempts)).toBe('2');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(sinkRows(config)).toHaveLength(99);
  });

  it('retries through a sink outage without dead-lettering anything', async () => {
    const config = testConfig({ SENSOR_REPLICAS: '1', RUN_MAX_ATTEMPTS: '2' });
    const base = openSink(config);
    defer(() => base.close());
    const outageUntil = Date.now() + 4_000;
    let refused = 0;
    const flaky: Sink = {
      async write(rows) {
        if (Date.now() < outageUntil) {
          refused++;
          throw new SinkUnavailableError('database is restarting');
        }
        return base.write(rows);
      },
      async close() {},
    };
    const { servers } = await setUpPipeline(config, defer, { sink: flaky });
    await produce(servers, config.topic, 300);
    await ensureSensors(servers.client, config, logger);
    await waitFor('300 rows', () => sinkRows(config).length === 300, 90_000);
    expect(refused).toBeGreaterThan(0);
    const dlqEnd = await servers.admin.partitionBounds(config.dlqTopic);
    expect(dlqEnd.reduce((sum, p) => sum + Number(p.high), 0)).toBe(0);
  });
});
