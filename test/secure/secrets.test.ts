// Secrets never leak: with a SASL password and a Temporal API key given as plain values, and the
// most verbose logging, neither appears in the worker's or the producer's output, nor in a
// sensor's status query, its workflow input, memo or search attributes.

import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sensorWorkflowId } from '../../src/batch';
import { loadConfig } from '../../src/config';
import { connectClient } from '../../src/workers/connect';
import { statusQuery } from '../../src/workflows/sensor';
import { logger, stopSensors, uniqueName, waitFor } from '../helpers';
import { runCommand, secureKafkaEnv, secureTemporalEnv, startCommand, type RunningCommand } from './secure-env';

let worker: RunningCommand | undefined;
let sinkFile: string | undefined;
afterEach(async () => {
  await worker?.stop();
  if (sinkFile) rmSync(sinkFile, { force: true });
});

describe('secrets', () => {
  it('appear in no log line, status query, workflow input, memo or search attribute', async () => {
    const kafka = secureKafkaEnv('sasl');
    const temporal = secureTemporalEnv('apikey');
    const password = readFileSync(kafka.KAFKA_SASL_PASSWORD_FILE!, 'utf8').trim();
    const apiKey = readFileSync(temporal.TEMPORAL_API_KEY_FILE!, 'utf8').trim();
    const name = uniqueName('secret');
    sinkFile = join(tmpdir(), `${name}.sqlite`);
    const env: Record<string, string> = {
      ...kafka,
      ...temporal,
      KAFKA_SASL_PASSWORD_FILE: '',
      KAFKA_SASL_PASSWORD: password,
      TEMPORAL_API_KEY_FILE: '',
      TEMPORAL_API_KEY: apiKey,
      KAFKA_TOPIC: name,
      KAFKA_GROUP_ID: `${name}-group`,
      SENSOR_TASK_QUEUE: `${name}-sensor`,
      RUNS_TASK_QUEUE: `${name}-runs`,
      SENSOR_REPLICAS: '1',
      KAFKA_TOPIC_PARTITIONS: '1',
      CODEC_SERVER_PORT: '0',
      SQLITE_PATH: sinkFile,
      LOG_LEVEL: 'debug',
    };
    const produced = await runCommand('scripts/producer.ts', [], { ...env, PRODUCER_MESSAGE_COUNT: '20' });
    expect(produced.code).toBe(0);
    worker = startCommand('src/workers/main.ts', env);
    await waitFor('the sensor running', () => worker!.output().includes('sensor running'), 90_000);

    const config = loadConfig(env);
    const client = await connectClient(config, logger);
    try {
      const handle = client.workflow.getHandle(sensorWorkflowId(config.topic, config.groupId, 0));
      const status = await waitFor('a batch in the status', async () => {
        const s = await handle.query(statusQuery);
        return s.batches > 0 ? s : undefined;
      });
      const description = await handle.describe();
      const history = await handle.fetchHistory();
      const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
      const seen = [
        JSON.stringify(status),
        JSON.stringify(description.memo ?? {}),
        JSON.stringify(description.searchAttributes ?? {}),
        JSON.stringify(description.typedSearchAttributes ?? []),
        ...input.map((p) => Buffer.from(p.data ?? []).toString()),
      ].join('\n');
      expect(input.length).toBeGreaterThan(0);
      for (const secret of [password, apiKey]) expect(seen).not.toContain(secret);
    } finally {
      await stopSensors(client, config);
      await client.connection.close();
    }
    const running = worker;
    worker = undefined;
    const code = await running.stop();
    const output = `${produced.stdout}${produced.stderr}\n${running.output()}`;
    expect(code).toBe(0);
    for (const secret of [password, apiKey]) expect(output).not.toContain(secret);
    // The summary says a secret is set without showing it.
    expect(output).toContain('password [redacted]');
    expect(output).toContain('temporalApiKey=[redacted]');
  });
});
