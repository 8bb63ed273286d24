// The real servers work from this checkout: Kafka carries messages, Temporal runs a workflow and
// its activity on a real worker, and TestWorkflowEnvironment uses the installed `temporal` binary.

import { resolve } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cleanUp, connectServers, readTopic, testConfig, testProducer, uniqueName, type Servers } from '../helpers';

const config = testConfig();
let servers: Servers;

beforeAll(async () => {
  servers = await connectServers(config);
});
afterAll(async () => {
  await cleanUp(config, servers.admin);
  await servers.close();
});

describe('the local servers', () => {
  it('Kafka stores and delivers real messages on a fresh topic', async () => {
    await servers.admin.ensureTopic(config.topic, 3);
    const producer = testProducer(servers.kafka);
    const sent = Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: `message ${i}` }));
    await producer.send(config.topic, sent);
    await producer.close();

    const received = (await readTopic(servers, config.topic, 100, 30_000)).map((r) => r.value!.toString());
    expect(received.sort()).toEqual(sent.map((m) => m.value).sort());
  });

  it('Temporal runs a workflow that calls an activity on a real worker', async () => {
    const taskQueue = uniqueName('echo');
    const worker = await Worker.create({
      connection: servers.connection,
      taskQueue,
      workflowsPath: resolve(__dirname, '../workflows/echo.ts'),
      activities: { shout: async (text: string) => text.toUpperCase() },
    });
    const result = await worker.runUntil(
      servers.client.workflow.execute('echo', { taskQueue, workflowId: uniqueName('echo'), args: ['hello'] }),
    );
    expect(result).toBe('HELLO');
  });

  it('TestWorkflowEnvironment starts the installed temporal binary instead of downloading one', async () => {
    const env = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: inject('temporalBin') } },
    });
    try {
      const taskQueue = uniqueName('echo');
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowsPath: resolve(__dirname, '../workflows/echo.ts'),
        activities: { shout: async (text: string) => `${text}!` },
      });
      const result = await worker.runUntil(
        env.client.workflow.execute('echo', { taskQueue, workflowId: uniqueName('echo'), args: ['hi'] }),
      );
      expect(result).toBe('hi!');
    } finally {
      await env.teardown();
    }
  });
});
