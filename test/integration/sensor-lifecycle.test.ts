// What happens around a sensor over a long life, against the real servers: a batch whose earlier run
// failed or was terminated is run again rather than taken for done, a topic deleted and created again
// halts the sensor with the reason, and a sensor stopped and asked for again keeps running.

import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { runWorkflowId, sensorWorkflowId } from '../../src/batch';
import { ensureSensors, sensorSettingsFrom } from '../../src/workers/sensors';
import { MicroBatchRun } from '../../src/workflows';
import { resumeSignal, statusQuery } from '../../src/workflows/sensor';
import {
  cleanUp,
  connectServers,
  logger,
  openSink,
  sharedBundle,
  sinkRows,
  startPipeline,
  stopSensors,
  testConfig,
  uniqueName,
  waitFor,
} from '../helpers';
import { cleanupAfterEach, produce, setUpPipeline } from '../pipeline-harness';

const defer = cleanupAfterEach();

describe('a sensor over a long life', () => {
  it('runs a batch again when its earlier run was terminated or failed, instead of taking it for done', async () => {
    // One partition and batches of exactly 10: the runs' IDs are known before the sensor starts.
    const config = testConfig({
      KAFKA_TOPIC_PARTITIONS: '1',
      SENSOR_REPLICAS: '1',
      MAX_BATCH_SIZE: '10',
      MAX_BATCH_WAIT: '5s',
    });
    const { servers } = await setUpPipeline(config, defer);
    const { client, connection } = servers;
    const id = (first: number) =>
      runWorkflowId(
        { topic: config.topic, partition: 0, firstOffset: String(first), lastOffset: String(first + 9) },
        config.groupId,
      );
    const run = sensorSettingsFrom(config).run;

    // Offsets 0–9: a run under that ID that was terminated (by an operator, say) before it loaded.
    const parked = await client.workflow.start(MicroBatchRun, {
      workflowId: id(0),
      taskQueue: uniqueName('nobody-polls'),
      args: [
        {
          batch: { topic: config.topic, partition: 0, firstOffset: '0', lastOffset: '9', count: 10, bytes: 1 },
          settings: run,
        },
      ],
    });
    await parked.terminate('test: an earlier run of this batch that never finished');
    // Offsets 10–19: a run under that ID that failed.
    const failingQueue = uniqueName('fails');
    const failing = await client.workflow.start(MicroBatchRun, {
      workflowId: id(10),
      taskQueue: failingQueue,
      args: [{ batch: undefined as never, settings: run }],
    });
    const worker = await Worker.create({ connection, taskQueue: failingQueue, workflowBundle: await sharedBundle() });
    await worker.runUntil(expect(failing.result()).rejects.toThrow('Workflow execution failed'));

    await produce(servers, config.topic, 30);
    await ensureSensors(client, config, logger);

    await waitFor('all 30 rows in the sink', () => sinkRows(config).length === 30, 60_000);
    expect(sinkRows(config).map((r) => r.offset)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // Each batch ran again under its own ID, and that run completed.
    for (const first of [0, 10]) {
      await waitFor(`run ${id(first)} completed`, async () => {
        const { status } = await client.workflow.getHandle(id(first)).describe();
        return status.name === 'COMPLETED';
      });
    }
  });

  it('halts, and says why, when its topic is deleted and created again', async () => {
    const config = testConfig({ KAFKA_TOPIC_PARTITIONS: '1', SENSOR_REPLICAS: '1', MAX_BATCH_SIZE: '100' });
    const { servers } = await setUpPipeline(config, defer);
    const { client, admin } = servers;
    await ensureSensors(client, config, logger);
    await produce(servers, config.topic, 200);
    await waitFor('the first 200 rows', () => sinkRows(config).length === 200, 60_000);
    const sensor = client.workflow.getHandle(sensorWorkflowId(config.topic, config.groupId, 0));
    await waitFor('the group to have committed offset 200', async () => {
      const committed = await admin.committedOffsets(config.groupId, config.topic);
      return committed.get(0) === '200' && (await sensor.query(statusQuery)).committed?.['0'] === '200';
    });

    await admin.deleteTopic(config.topic);
    await waitFor('the topic to be gone', async () => !(await admin.listTopics()).includes(config.topic));
    await admin.ensureTopic(config.topic, 1);
    // The new topic's records take offsets 0–49 again: without a halt they would pass for loaded ones.
    await produce(servers, config.topic, 50);

    const status = await waitFor(
      'the sensor to halt',
      async () => {
        const s = await sensor.query(statusQuery);
        return s.halted ? s : undefined;
      },
      90_000,
    );
    expect(status.phase).toBe('halted');
    expect(status.halted!.reason).toMatch(new RegExp(`topic "${config.topic}" was deleted and created again`));
    expect(status.lastError?.message).toBe(status.halted!.reason);
    // Nothing of the new topic was taken: no commit on it, and the sink still has only the first 200.
    // No offset, or a negative one (no position: the broker answers -2 here after the recreation).
    const committedNow = (await admin.committedOffsets(config.groupId, config.topic)).get(0) ?? '-1';
    expect(Number(committedNow)).toBeLessThan(0);
    expect(sinkRows(config)).toHaveLength(200);

    // Someone looked and resumed it: it takes the new topic from the group's offsets as they are now.
    await sensor.signal(resumeSignal);
    await waitFor('the group to commit the new topic up to 50', async () => {
      const now = await admin.committedOffsets(config.groupId, config.topic);
      return now.get(0) === '50';
    });
    const resumed = await sensor.query(statusQuery);
    expect(resumed.halted).toBeUndefined();
    expect(resumed.phase).not.toBe('halted');
  });

  it('claims its consumer on a new worker at once when the old one shut down, without waiting for a timeout', async () => {
    const config = testConfig({ KAFKA_TOPIC_PARTITIONS: '1', SENSOR_REPLICAS: '1' });
    const servers = await connectServers(config);
    defer(async () => {
      await cleanUp(config, servers.admin);
      await servers.close();
    });
    await servers.admin.ensureTopic(config.topic, 1);
    await servers.admin.ensureTopic(config.dlqTopic, 1);
    const sink = openSink(config);
    defer(() => sink.close());
    const first = await startPipeline(config, servers, { sink });
    await ensureSensors(servers.client, config, logger);
    const sensor = servers.client.workflow.getHandle(sensorWorkflowId(config.topic, config.groupId, 0));
    await produce(servers, config.topic, 20);
    await waitFor('20 rows', () => sinkRows(config).length === 20);
    expect((await sensor.query(statusQuery)).consumerTaskQueue).toBe(first.pipeline.consumerTaskQueue);

    // `npm run worker` stopped and started again.
    await first.stop();
    const second = await startPipeline(config, servers, { sink });
    defer(async () => {
      await stopSensors(servers.client, config);
      await second.stop();
    });
    await waitFor('the consumer on the new worker', async () => {
      const { consumerTaskQueue } = await sensor.query(statusQuery);
      return consumerTaskQueue === second.pipeline.consumerTaskQueue;
    });
    await produce(servers, config.topic, 20);
    await waitFor('40 rows', () => sinkRows(config).length === 40);
    // Re-homed because the old worker said so, not after a call to its queue timed out unstarted.
    expect((await sensor.query(statusQuery)).lastError).toBeUndefined();
  });

  it('keeps every sensor asked for running when replicas are lowered and raised again within seconds', async () => {
    const config = testConfig({ SENSOR_REPLICAS: '6' });
    const { servers } = await setUpPipeline(config, defer);
    const { client } = servers;
    await ensureSensors(client, config, logger);
    // Lowered to 2: sensors 2–5 get a stop; raised to 6 at once, while they are still stopping.
    await ensureSensors(client, { ...config, sensorReplicas: 2 }, logger);
    await ensureSensors(client, config, logger);

    // Seconds later, all six still run (not merely "running" while on their way out).
    await new Promise((r) => setTimeout(r, 5_000));
    for (let replica = 0; replica < 6; replica++) {
      const handle = client.workflow.getHandle(sensorWorkflowId(config.topic, config.groupId, replica));
      expect((await handle.describe()).status.name, `sensor ${replica}`).toBe('RUNNING');
      expect(['stopping', 'restarting']).not.toContain((await handle.query(statusQuery)).phase);
    }
  });
});
