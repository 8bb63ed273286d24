// A run held by a systemic failure keeps its history bounded: a batch whose every record fails the
// same way (a transform broken by a deploy) is held, retried round after round, continuing as new on
// the way, nothing dead-lettered; once the transform is fixed every record loads and the tallies
// carried across say so. On a dev server of its own that suggests continue-as-new at 100 events (the
// real threshold is 4,096), the real Kafka broker and a real sink.

import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { runWorkflowId } from '../../src/batch';
import * as searchAttributes from '../../src/search-attributes';
import { sensorSettingsFrom } from '../../src/workers/sensors';
import { MicroBatchRun } from '../../src/workflows';
import { historyLengths } from '../history-chain';
import { sinkRows, testConfig, testProducer, waitFor } from '../helpers';
import { startPipelineOnEnv } from '../pipeline-on-env';

const SUGGEST_CONTINUE_AS_NEW_AT = 100;
const RECORDS = 64;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('a run held by a broken transform', () => {
  it('continues as new while held, dead-letters nothing, and loads every record once the transform is fixed', async () => {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: inject('temporalBin') },
        searchAttributes: Object.values(searchAttributes),
        extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_CONTINUE_AS_NEW_AT}`],
      },
    });
    cleanups.push(() => env.teardown());
    // Quick rounds, so that the held run's history passes the threshold several times in seconds.
    const config = testConfig({
      KAFKA_TOPIC_PARTITIONS: '1',
      RUN_RETRY_INITIAL_INTERVAL: '50ms',
      RUN_OUTAGE_MAX_BACKOFF: '200ms',
    });
    let broken = true;
    const { kafka, admin } = await startPipelineOnEnv(env, config, (fn) => cleanups.push(fn), {
      // A deploy that broke the transform: every record fails the same way, until the fix.
      transform: (record) => {
        if (broken) throw new Error('transform broken by a deploy');
        return { payload: JSON.parse(record.valueText!) };
      },
    });
    const producer = testProducer(kafka);
    await producer.send(
      config.topic,
      Array.from({ length: RECORDS }, (_, seq) => ({ key: null, value: JSON.stringify({ seq }) })),
    );
    await producer.close();

    const batch = {
      topic: config.topic,
      partition: 0,
      firstOffset: '0',
      lastOffset: String(RECORDS - 1),
      count: RECORDS,
      bytes: RECORDS * 20,
    };
    const workflowId = runWorkflowId(batch, config.groupId);
    const run = await env.client.workflow.start(MicroBatchRun, {
      workflowId,
      taskQueue: config.runsTaskQueue,
      args: [{ batch, settings: sensorSettingsFrom(config).run }],
    });
    await waitFor(
      'the held run to continue as new twice',
      async () => (await historyLengths(env.client, workflowId)).length > 2,
      120_000,
    );
    expect(sinkRows(config)).toHaveLength(0);

    broken = false;
    // The tallies survived every continue-as-new: each record counted once.
    expect(await run.result()).toEqual({ messages: RECORDS, loaded: RECORDS, alreadyLoaded: 0, deadLettered: 0 });
    const lengths = await historyLengths(env.client, workflowId);
    // Each run stops soon after the suggestion (a turn of the loop adds a handful of events).
    expect(Math.max(...lengths)).toBeLessThan(SUGGEST_CONTINUE_AS_NEW_AT + 30);
    const dlqEnd = await admin.partitionBounds(config.dlqTopic);
    expect(dlqEnd.reduce((sum, p) => sum + Number(p.high), 0)).toBe(0);
    expect(sinkRows(config)).toHaveLength(RECORDS);
  }, 180_000);
});
