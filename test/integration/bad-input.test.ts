// Bad input has a clear outcome and loses nothing: bad settings stop the program with exit code 2
// naming the variable; unreachable servers get a readable message and a retry; a missing topic is
// reported by the sensor and picked up once it exists; an oversized record is loaded on its own;
// records whose bytes outweigh their length (non-ASCII text, escaped control characters) still fit
// Temporal's payloads.

import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { sensorWorkflowId } from '../../src/batch';
import type { SourceRecord } from '../../src/processing/transform';
import { runsQuery } from '../../src/runs';
import { ensureSensors } from '../../src/workers/sensors';
import { statusQuery } from '../../src/workflows/sensor';
import { logger, sinkRows, testConfig, testProducer, waitFor } from '../helpers';
import { cleanupAfterEach, produce, setUpPipeline } from '../pipeline-harness';

const defer = cleanupAfterEach();

interface Finished {
  code: number | null;
  output: string;
}

/** Runs an entry point as a user would; kills it after `killAfterMs` if it is still running. */
function run(script: string, env: Record<string, string>, killAfterMs: number, until?: RegExp): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...env } });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (until?.test(output)) child.kill('SIGTERM');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Lines that look like a JavaScript stack trace. */
const STACK_LINE = /^\s+at .+\(.+:\d+:\d+\)$/m;

describe('bad settings', () => {
  it.each([
    ['src/workers/main.ts', 'MAX_BATCH_SIZE', 'lots'],
    ['src/workers/main.ts', 'SENSOR_REPLICAS', '-1'],
    ['src/workers/main.ts', 'MAX_SENSOR_TICK_RUNTIME', '0'],
    ['scripts/producer.ts', 'DESIRED_THROUGHPUT_PER_SECOND', '0'],
    ['scripts/lag.ts', 'KAFKA_BROKERS', ' , '],
  ])('%s stops at startup with exit code 2 when %s=%j', async (script, name, value) => {
    const { code, output } = await run(script, { [name]: value }, 30_000);
    expect(code).toBe(2);
    expect(output).toContain(`configuration error: ${name}=${JSON.stringify(value)} is not valid: expected`);
    expect(output).not.toMatch(STACK_LINE);
  });
});

describe('unreachable servers', () => {
  it('the worker says Temporal is not reachable and retries, without a stack trace', async () => {
    const { output } = await run('src/workers/main.ts', { TEMPORAL_ADDRESS: '127.0.0.1:1' }, 60_000, /retrying in 2s/);
    expect(output).toMatch(/Temporal at 127\.0\.0\.1:1 is not reachable; retrying in 1s/);
    expect(output).toMatch(/retrying in 2s/);
    expect(output).not.toMatch(STACK_LINE);
  });

  it('the worker says Kafka is not reachable and retries, without a stack trace', async () => {
    const { output } = await run('src/workers/main.ts', { KAFKA_BROKERS: '127.0.0.1:1' }, 90_000, /retrying in 2s/);
    expect(output).toMatch(/Kafka at 127\.0\.0\.1:1 is not reachable; retrying in 1s/);
    expect(output).not.toMatch(STACK_LINE);
  });
});

describe('awkward streams', () => {
  it('a missing topic is reported in the sensor status, and consumed once it exists', async () => {
    const config = testConfig({ SENSOR_REPLICAS: '1' });
    const { servers } = await setUpPipeline(config, defer, { createTopics: false });
    await ensureSensors(servers.client, config, logger);
    const handle = servers.client.workflow.getHandle(sensorWorkflowId(config.topic, config.groupId, 0));
    const status = await waitFor('the sensor to report the missing topic', async () => {
      const s = await handle.query(statusQuery);
      return s.lastError?.message.includes('does not exist') ? s : undefined;
    });
    expect(status.lastError!.message).toContain(`Kafka topic "${config.topic}" does not exist`);

    await servers.admin.ensureTopic(config.topic, config.topicPartitions);
    await produce(servers, config.topic, 50);
    await waitFor('50 rows', () => sinkRows(config).length === 50, 90_000);
  });

  it('a record larger than MAX_BATCH_BYTES is loaded in a run of its own; its neighbours still batch', async () => {
    const config = testConfig({ SENSOR_REPLICAS: '1', KAFKA_TOPIC_PARTITIONS: '1', MAX_BATCH_BYTES: '4096' });
    const { servers } = await setUpPipeline(config, defer);
    const big = JSON.stringify({ seq: 'big', payload: 'x'.repeat(20_000) });
    const producer = testProducer(servers.kafka);
    await producer.send(config.topic, [
      ...Array.from({ length: 10 }, (_, i) => ({ key: null, value: JSON.stringify({ seq: i }) })),
      { key: null, value: big },
      ...Array.from({ length: 10 }, (_, i) => ({ key: null, value: JSON.stringify({ seq: 100 + i }) })),
    ]);
    await producer.close();
    await ensureSensors(servers.client, config, logger);
    await waitFor('21 rows', () => sinkRows(config).length === 21, 60_000);
    expect(sinkRows(config).find((r) => r.offset === 10)!.payload).toBe(big);
    const runs = await waitFor('the run of the big record in visibility', async () => {
      const found: Array<{ id: string }> = [];
      for await (const wf of servers.client.workflow.list({
        query: `${runsQuery(config)} AND FirstOffset = 10`,
      })) {
        found.push({ id: wf.workflowId });
      }
      return found.length > 0 ? found : undefined;
    });
    expect(runs.map((r) => r.id)).toEqual([`microbatch-${config.topic}-p0-10-10@${config.groupId}`]);
  });

  it('with BATCH_PAYLOAD=records, non-ASCII values whose characters fit the byte caps but whose bytes do not all load', async () => {
    // Uncompressed, so the test does not hang on how well the values compress; values that compress
    // poorly go past the limit the same way with PAYLOAD_COMPRESSION=deflate.
    const config = testConfig({
      BATCH_PAYLOAD: 'records',
      PAYLOAD_COMPRESSION: 'none',
      SENSOR_REPLICAS: '1',
      KAFKA_TOPIC_PARTITIONS: '1',
    });
    const { servers } = await setUpPipeline(config, defer);
    // 48 values of 40,000 characters, mostly 3-byte Chinese with 4-byte emoji: 1.9 million in
    // .length, 5.8 MB in UTF-8. Counted by length, one consume result (up to 1.5 million) weighs
    // 4.5 MB, past Temporal's 2 MiB payload limit, and the sensor takes the same records forever.
    const values = Array.from({ length: 48 }, (_, seq) => JSON.stringify({ seq, text: nonAsciiText(seq, 40_000) }));
    const producer = testProducer(servers.kafka);
    for (let i = 0; i < values.length; i += 4) {
      // A few per request: Kafka refuses a record batch over 1 MiB.
      await producer.send(
        config.topic,
        values.slice(i, i + 4).map((value) => ({ key: null, value })),
      );
    }
    await producer.close();
    await ensureSensors(servers.client, config, logger);
    await waitFor(
      '48 rows',
      () => {
        const loaded = sinkRows(config).length;
        if (loaded < 48) throw new Error(`${loaded} of 48 rows loaded`); // named in the timeout message
        return true;
      },
      120_000,
    );
    expect(sinkRows(config).map((r) => r.payload)).toEqual(values);
  });

  it('with BATCH_PAYLOAD=records, a record whose JSON outweighs one payload travels as its offsets, and loads', async () => {
    // Uncompressed, as above: deflate would squeeze this record's repeated escapes under the limit.
    const config = testConfig({
      BATCH_PAYLOAD: 'records',
      PAYLOAD_COMPRESSION: 'none',
      SENSOR_REPLICAS: '1',
      KAFKA_TOPIC_PARTITIONS: '1',
    });
    // Any text is kept as a JSON string (the default transform would reject it: it is not JSON).
    const asText = (r: SourceRecord) => ({ payload: r.valueText ?? null });
    const { servers } = await setUpPipeline(config, defer, { transform: asText });
    // 400 KB in Kafka, 2.4 MB as JSON: every control character is written as \u00XX.
    const heavy = '\u0001'.repeat(400_000);
    const producer = testProducer(servers.kafka);
    await producer.send(config.topic, [
      { key: null, value: 'before' },
      { key: null, value: heavy },
      { key: null, value: 'after' },
    ]);
    await producer.close();
    await ensureSensors(servers.client, config, logger);
    await waitFor('3 rows', () => sinkRows(config).length === 3, 90_000);
    expect(sinkRows(config).map((r) => JSON.parse(r.payload!))).toEqual(['before', heavy, 'after']);
  });
});

/** About `length` characters of Chinese text with an emoji every 10th, varied by `seed` (so they do not compress to nothing). */
function nonAsciiText(seed: number, length: number): string {
  let state = seed + 1;
  let text = '';
  while (text.length < length) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    text +=
      text.length % 10 === 9
        ? String.fromCodePoint(0x1f600 + (state % 64))
        : String.fromCharCode(0x4e00 + (state % 20_000));
  }
  return text;
}
