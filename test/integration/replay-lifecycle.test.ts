// The Replay workflow over a long replay and when cancelled: it keeps its history bounded
// (continue-as-new, on a dev server of its own that suggests it at 60 events; the real threshold
// is 4,096) with its tallies carried across, and `npm run replay -- --cancel` stops new runs while
// the runs already started finish.

import { WorkflowFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { describe, expect, inject, it } from 'vitest';
import { replayRunWorkflowId, replayWorkflowId } from '../../src/batch';
import { startReplay } from '../../src/replay/start';
import * as searchAttributes from '../../src/search-attributes';
import type { Sink, SinkRow } from '../../src/sink';
import type { Replay } from '../../src/workflows';
import { replayStatusQuery } from '../../src/workflows/replay';
import { historyLengths } from '../history-chain';
import { openSink, sinkRows, testConfig, waitFor } from '../helpers';
import { cleanupAfterEach, setUpPipeline } from '../pipeline-harness';
import { startPipelineOnEnv } from '../pipeline-on-env';
import { envOf, runCommand, seed } from '../replay-harness';

const defer = cleanupAfterEach();
const SUGGEST_CONTINUE_AS_NEW_AT = 60;

describe('a Replay workflow', () => {
  it('continues as new over a long replay, keeping its history bounded and its tallies', async () => {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: inject('temporalBin') },
        searchAttributes: Object.values(searchAttributes),
        extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_CONTINUE_AS_NEW_AT}`],
      },
    });
    defer(() => env.teardown());
    const config = testConfig({
      WORKER_ROLES: 'runs',
      KAFKA_TOPIC_PARTITIONS: '2',
      MAX_BATCH_SIZE: '2',
      MAX_IN_FLIGHT_RUNS: '4',
    });
    const { kafka } = await startPipelineOnEnv(env, config, defer);
    await seed({ kafka }, config.topic, 2, 30);

    const ranges = [
      { partition: 0, first: '0', last: '29' },
      { partition: 1, first: '0', last: '29' },
    ];
    const handle = await startReplay(env.client, config, 'long', ranges);
    const result = await handle.result();
    expect(result).toMatchObject({ phase: 'done', runsStarted: 30, runsCompleted: 30, runsFailed: 0, messages: 60 });
    expect(result.loaded).toBe(60);
    expect(result.continuedAsNew).toBeGreaterThan(0);
    const lengths = await historyLengths(env.client, handle.workflowId);
    expect(lengths.length).toBe(result.continuedAsNew + 1);
    // Each run stops soon after the suggestion: it lets its in-flight runs (at most 4) finish first.
    expect(Math.max(...lengths)).toBeLessThan(SUGGEST_CONTINUE_AS_NEW_AT + 50);
    expect(sinkRows(config)).toHaveLength(60);
  });

  it('goes on after Ctrl-C in npm run replay; cancelled with --cancel, it starts no more runs and lets the started ones finish', async () => {
    const config = testConfig({
      WORKER_ROLES: 'runs',
      KAFKA_TOPIC_PARTITIONS: '1',
      MAX_BATCH_SIZE: '2',
      MAX_IN_FLIGHT_RUNS: '2',
    });
    const sqlite = openSink(config);
    defer(() => sqlite.close());
    // Slow writes: the replay is still going when it is cancelled.
    const slow: Sink = {
      write: async (rows: SinkRow[]) => {
        await new Promise((r) => setTimeout(r, 1_500));
        return sqlite.write(rows);
      },
      close: async () => undefined,
    };
    const { servers } = await setUpPipeline(config, defer, { sink: slow });
    await seed(servers, config.topic, 1, 40);
    // Ctrl-C while watching stops the command, not the replay, and says how to watch or cancel it.
    const watched = await runCommand(
      'replay',
      ['--partition', '0', '--from-offset', '0', '--name', 'stopme'],
      envOf(config),
      60_000,
      /offsets in started runs [1-9]/,
    );
    expect(watched.code).toBe(130);
    expect(watched.stdout).toContain('the replay goes on in Temporal');
    expect(watched.stdout).toContain('npm run replay -- --watch stopme');
    expect(watched.stdout).toContain('npm run replay -- --cancel stopme');
    const handle = servers.client.workflow.getHandle<typeof Replay>(
      replayWorkflowId('stopme', config.topic, config.groupId),
    );
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await waitFor('two runs started', async () => (await handle.query(replayStatusQuery)).runsStarted >= 2);

    const cancel = await runCommand('replay', ['--cancel', 'stopme'], envOf(config));
    expect(cancel.stderr).toBe('');
    expect(cancel.code).toBe(0);
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(
      (await servers.client.workflow.getHandle(replayWorkflowId('stopme', config.topic, config.groupId)).describe())
        .status.name,
    ).toBe('CANCELLED');

    // Every run it started completed (none was cancelled mid-batch), and it started fewer than all 20.
    const statuses: string[] = [];
    for (let first = 0; first < 40; first += 2) {
      const id = replayRunWorkflowId(
        'stopme',
        {
          topic: config.topic,
          partition: 0,
          firstOffset: String(first),
          lastOffset: String(first + 1),
        },
        config.groupId,
      );
      const d = await servers.client.workflow
        .getHandle(id)
        .describe()
        .catch(() => undefined);
      if (d) statuses.push(d.status.name);
    }
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses.length).toBeLessThan(20);
    expect(new Set(statuses)).toEqual(new Set(['COMPLETED']));
    expect(sinkRows(config)).toHaveLength(statuses.length * 2);
  });
});
