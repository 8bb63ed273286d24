// Bad input has a clear outcome and loses nothing: bad settings stop the program with exit code 2
// naming the variable; unreachable servers get a readable message and a retry; a missing topic is
// reported by the sensor and picked up once it exists; an oversized record is loaded on its own.

import { spawn } from 'node:child_process';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { sensorWorkflowId } from '../../src/batch';
import { ensureTopic } from '../../src/kafka/topics';
import { runsQuery } from '../../src/runs';
import { ensureSensors } from '../../src/workers/sensors';
import { statusQuery } from '../../src/workflows/sensor';
import { logger, sinkRows, testConfig, waitFor } from '../helpers';
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

    await ensureTopic(servers.admin, config.topic, config.topicPartitions);
    await produce(servers, config.topic, 50);
    await waitFor('50 rows', () => sinkRows(config).length === 50, 90_000);
  });

  it('a record larger than MAX_BATCH_BYTES is loaded in a run of its own; its neighbours still batch', async () => {
    const config = testConfig({ SENSOR_REPLICAS: '1', KAFKA_TOPIC_PARTITIONS: '1', MAX_BATCH_BYTES: '4096' });
    const { servers } = await setUpPipeline(config, defer);
    const big = JSON.stringify({ seq: 'big', payload: 'x'.repeat(20_000) });
    const producer = servers.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic: config.topic,
      messages: [
        ...Array.from({ length: 10 }, (_, i) => ({ value: JSON.stringify({ seq: i }) })),
        { value: big },
        ...Array.from({ length: 10 }, (_, i) => ({ value: JSON.stringify({ seq: 100 + i }) })),
      ],
    });
    await producer.disconnect();
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
});
