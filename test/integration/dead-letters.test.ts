// The dead-letter topic read back and replayed (`npm run dlq`), against the real broker; a record
// the topic holds more than once (a retried activity published it again) is shown and sent once.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterPublisher, DLQ_HEADERS, type DeadLetter } from '../../src/kafka/dead-letter';
import { listDeadLetters, replayDeadLetters } from '../../src/kafka/dead-letter-replay';
import { ensureSensors } from '../../src/workers/sensors';
import {
  cleanUp,
  connectServers,
  logger,
  readTopic,
  sinkRows,
  testConfig,
  testProducer,
  uniqueName,
  waitFor,
  type Servers,
  type TopicRecord,
} from '../helpers';
import { cleanupAfterEach, setUpPipeline } from '../pipeline-harness';

const config = testConfig();
let servers: Servers;
const defer = cleanupAfterEach();

beforeAll(async () => {
  servers = await connectServers(config);
  await servers.admin.ensureTopic(config.topic, 1);
  await servers.admin.ensureTopic(config.dlqTopic, 1);
  const publisher = new DeadLetterPublisher(servers.kafka, config.dlqTopic);
  await publisher.publish(
    [0, 1, 2].map((i) => ({
      sourceTopic: config.topic,
      partition: 0,
      message: {
        offset: String(10 + i),
        key: { text: `k${i}` },
        value: { text: `bad ${i}` },
        headers: { trace: { text: `t${i}` } },
        timestamp: '0',
      },
      error: `value is not valid JSON (${i})`,
      errorType: 'RecordRejectedError',
      attempts: 1,
      runId: 'microbatch-x-p0-10-12',
    })),
  );
  await publisher.close();
});
afterAll(async () => {
  await cleanUp(config, servers.admin);
  await servers.close();
});

function readAll(topic: string, expected: number): Promise<TopicRecord[]> {
  return readTopic(servers, topic, expected, 30_000);
}

describe('dead letters', () => {
  it('are listed with their reason, attempts, origin and run, without being consumed', async () => {
    for (let i = 0; i < 2; i++) {
      const records = await listDeadLetters(servers.kafka, config.dlqTopic);
      expect(
        records.map((r) => [r.sourceTopic, r.sourceOffset, r.error, r.attempts, r.runId, r.key?.toString()]),
      ).toEqual(
        [0, 1, 2].map((i) => [
          config.topic,
          String(10 + i),
          `value is not valid JSON (${i})`,
          '1',
          'microbatch-x-p0-10-12',
          `k${i}`,
        ]),
      );
      expect(records[0]!.headers).toEqual({ trace: Buffer.from('t0') });
    }
  });

  it('are replayed to their source topic once, with their own headers and without the dlq ones', async () => {
    expect(await replayDeadLetters(servers.kafka, { dlqTopic: config.dlqTopic })).toEqual({ sent: 3, copies: 0 });
    expect(await replayDeadLetters(servers.kafka, { dlqTopic: config.dlqTopic })).toEqual({ sent: 0, copies: 0 });
    const replayed = await readAll(config.topic, 3);
    expect(replayed.map((m) => [m.key?.toString(), m.value?.toString(), m.headers?.trace?.toString()])).toEqual(
      [0, 1, 2].map((i) => [`k${i}`, `bad ${i}`, `t${i}`]),
    );
    for (const m of replayed) expect(m.headers?.[DLQ_HEADERS.error]).toBeUndefined();
  });

  it('npm run dlq prints them for a person', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/dlq.ts'], {
      env: { ...process.env, KAFKA_TOPIC: config.topic, KAFKA_DLQ_TOPIC: config.dlqTopic },
    });
    expect(stdout).toContain(`${config.topic}/0@10  RecordRejectedError: value is not valid JSON (0)`);
    expect(stdout).toContain(`3 record(s) in ${config.dlqTopic}`);
  });

  it("npm run dlq -- list --json shows text as text, with the record's own headers", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/dlq.ts', 'list', '--json'],
      { env: { ...process.env, KAFKA_TOPIC: config.topic, KAFKA_DLQ_TOPIC: config.dlqTopic } },
    );
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { key: unknown; value: unknown; headers: unknown; sourceOffset: string });
    expect(lines.map((l) => [l.sourceOffset, l.key, l.value, l.headers])).toEqual(
      [0, 1, 2].map((i) => [String(10 + i), `k${i}`, `bad ${i}`, { trace: `t${i}` }]),
    );
  });
});

/** Records in a topic now, by its partitions' end offsets (every letter a publish wrote, copies included). */
async function recordsIn(topic: string): Promise<number> {
  return (await servers.admin.partitionBounds(topic)).reduce((sum, p) => sum + Number(p.high), 0);
}

async function scratchTopics(...topics: string[]): Promise<void> {
  for (const topic of topics) await servers.admin.ensureTopic(topic, 2);
  defer(async () => {
    for (const topic of topics) await servers.admin.deleteTopic(topic).catch(() => undefined);
  });
}

/** Publishes for real, then fails once, as an activity whose worker died before it could report. */
class PublishesThenFails extends DeadLetterPublisher {
  sends = 0;
  override async publish(letters: DeadLetter[]): Promise<void> {
    await super.publish(letters);
    if (letters.length > 0 && this.sends++ === 0) throw new Error('lost before the activity reported (test)');
  }
}

describe('dead letters the topic holds more than once', () => {
  it('a letter published again by a retry is listed, printed and replayed once; a copy that arrives after the replay is not sent again', async () => {
    const dlqTopic = uniqueName('dlq');
    const target = uniqueName('replayed');
    await scratchTopics(dlqTopic, target);
    const publisher = new DeadLetterPublisher(servers.kafka, dlqTopic);
    defer(() => publisher.close());
    const runA = `microbatch-${config.topic}-p0-20-29@loader`;
    const runB = `microbatch-${config.topic}-p0-20-24@archiver`;
    const letter = (offset: number, runId: string): DeadLetter => ({
      sourceTopic: config.topic,
      partition: 0,
      // No key: the default partitioner may put copies in different partitions of the topic.
      message: {
        offset: String(offset),
        key: null,
        value: { text: `bad ${offset}` },
        headers: {},
        timestamp: '1700000000000',
      },
      error: 'value is not valid JSON',
      errorType: 'RecordRejectedError',
      attempts: 1,
      runId,
    });
    await publisher.publish([letter(20, runA), letter(21, runA)]); // its worker died before it reported
    await publisher.publish([letter(20, runA), letter(21, runA)]); // the retry, on another worker
    await publisher.publish([letter(20, runB)]); // another pipeline sharing the topic rejected it too
    expect(await recordsIn(dlqTopic)).toBe(5);

    const listed = (await listDeadLetters(servers.kafka, dlqTopic)).sort((x, y) =>
      x.sourceOffset.localeCompare(y.sourceOffset),
    );
    expect(listed.map((r) => [r.sourceOffset, r.runId, r.copies, r.otherRuns])).toEqual([
      ['20', runA, 3, [runB]],
      ['21', runA, 2, []],
    ]);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/dlq.ts'], {
      env: { ...process.env, KAFKA_TOPIC: config.topic, KAFKA_DLQ_TOPIC: dlqTopic },
    });
    expect(stdout.match(new RegExp(`${config.topic}/0@20 `, 'g'))).toHaveLength(1);
    expect(stdout).toContain(`also dead-lettered by ${runB}`);
    expect(stdout).toContain(`2 record(s) in ${dlqTopic} (and 3 copies of them, shown once)`);

    expect(await replayDeadLetters(servers.kafka, { dlqTopic, to: target })).toEqual({ sent: 2, copies: 3 });
    await publisher.publish([letter(21, runA)]); // a retry that ran late, after the replay
    expect(await replayDeadLetters(servers.kafka, { dlqTopic, to: target })).toEqual({ sent: 0, copies: 1 });
    expect(await recordsIn(target)).toBe(2);
  });

  it('a record rejected by a process-batch that published its dead letter, then failed before it reported, is listed and replayed once', async () => {
    const run = testConfig({ SENSOR_REPLICAS: '1', KAFKA_TOPIC_PARTITIONS: '1' });
    const publisher = new PublishesThenFails(servers.kafka, run.dlqTopic);
    defer(() => publisher.close());
    const { servers: own } = await setUpPipeline(run, defer, { deadLetters: publisher });
    const target = uniqueName('replayed');
    await scratchTopics(target);
    const producer = testProducer(own.kafka);
    await producer.send(run.topic, [
      { key: null, value: '{"n":1}' },
      { key: 'bad', value: 'not json {' },
      { key: null, value: '{"n":2}' },
    ]);
    await producer.close();
    await ensureSensors(own.client, run, logger);

    await waitFor('2 rows', () => sinkRows(run).length === 2, 60_000);
    // The retried activity published the letter a second time: the topic holds both copies.
    await waitFor('two copies in the dead-letter topic', async () => (await recordsIn(run.dlqTopic)) === 2, 60_000);
    expect(publisher.sends).toBe(2);
    const listed = await listDeadLetters(own.kafka, run.dlqTopic);
    expect(listed.map((r) => [r.sourceOffset, r.key?.toString(), r.copies])).toEqual([['1', 'bad', 2]]);
    expect(await replayDeadLetters(own.kafka, { dlqTopic: run.dlqTopic, to: target })).toEqual({ sent: 1, copies: 1 });
    expect(await recordsIn(target)).toBe(1);
  });
});
