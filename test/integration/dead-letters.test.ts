// The dead-letter topic read back and replayed (`npm run dlq`), against the real broker.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterPublisher, DLQ_HEADERS } from '../../src/kafka/dead-letter';
import { listDeadLetters, replayDeadLetters } from '../../src/kafka/dead-letter-replay';
import { ensureTopic } from '../../src/kafka/topics';
import { cleanUp, connectServers, testConfig, uniqueName, waitFor, type Servers } from '../helpers';

const config = testConfig();
let servers: Servers;

beforeAll(async () => {
  servers = await connectServers(config);
  await ensureTopic(servers.admin, config.topic, 1);
  await ensureTopic(servers.admin, config.dlqTopic, 1);
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

async function readAll(topic: string, expected: number): Promise<KafkaMessage[]> {
  const consumer = servers.kafka.consumer({ groupId: uniqueName('reader') });
  const seen: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) });
  await waitFor(`${expected} records`, () => seen.length >= expected, 30_000);
  await consumer.disconnect();
  return seen;
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
    expect(await replayDeadLetters(servers.kafka, { dlqTopic: config.dlqTopic })).toBe(3);
    expect(await replayDeadLetters(servers.kafka, { dlqTopic: config.dlqTopic })).toBe(0);
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
