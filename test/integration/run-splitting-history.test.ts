// MicroBatchRun's splitting loop keeps its history bounded: a batch whose every record fails is split
// down to single records (hundreds of activities), continuing as new on the way, and ends with every
// record dead-lettered once and the tallies carried across. On a dev server of its own that suggests
// continue-as-new at 100 events (the real threshold is 4,096), the real Kafka broker and a real sink.

import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { runWorkflowId } from '../../src/batch';
import * as searchAttributes from '../../src/search-attributes';
import { sensorSettingsFrom } from '../../src/workers/sensors';
import { MicroBatchRun } from '../../src/workflows';
import { historyLengths } from '../history-chain';
import { sinkRows, testConfig } from '../helpers';
import { startPipelineOnEnv } from '../pipeline-on-env';

const SUGGEST_CONTINUE_AS_NEW_AT = 100;
const RECORDS = 64;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('a run that splits its batch', () => {
  it('continues as new while isolating failing records, and dead-letters each exactly once', async () => {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: inject('temporalBin') },
        searchAttributes: Object.values(searchAttributes),
        extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_CONTINUE_AS_NEW_AT}`],
      },
    });
    cleanups.push(() => env.teardown());
    const config = testConfig({ KAFKA_TOPIC_PARTITIONS: '1', RUN_MAX_ATTEMPTS: '1' });
    const { kafka, admin } = await startPipelineOnEnv(env, config, (fn) => cleanups.push(fn), {
      // A deploy that broke the transform: every record fails the same way.
      transform: () => {
        throw new Error('transform broken by a deploy');
      },
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: config.topic,
      messages: Array.from({ length: RECORDS }, (_, seq) => ({ value: JSON.stringify({ seq }) })),
    });
    await producer.disconnect();

    const batch = {
      topic: config.topic,
      partition: 0,
      firstOffset: '0',
      lastOffset: String(RECORDS - 1),
      count: RECORDS,
      bytes: RECORDS * 20,
    };
    const workflowId = runWorkflowId(batch, config.groupId);
    const result = await env.client.workflow.execute(MicroBatchRun, {
      workflowId,
      taskQueue: config.runsTaskQueue,
      args: [{ batch, settings: sensorSettingsFrom(config).run }],
    });

    // The tallies survived every continue-as-new: each record counted once.
    expect(result).toEqual({ messages: RECORDS, loaded: 0, alreadyLoaded: 0, deadLettered: RECORDS });
    const lengths = await historyLengths(env.client, workflowId);
    expect(lengths.length, 'runs in the chain').toBeGreaterThan(2);
    // Each run stops soon after the suggestion (a turn of the loop adds a handful of events).
    expect(Math.max(...lengths)).toBeLessThan(SUGGEST_CONTINUE_AS_NEW_AT + 30);
    const dlqEnd = await admin.fetchTopicOffsets(config.dlqTopic);
    expect(dlqEnd.reduce((sum, p) => sum + Number(p.high), 0)).toBe(RECORDS);
    expect(sinkRows(config)).toHaveLength(0);
  }, 180_000);
});
