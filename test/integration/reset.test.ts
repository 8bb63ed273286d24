// `npm run reset` against the real servers, with the live sensors running: a dry run changes
// nothing; a reset moves the group and the sensors re-process from there (replace mode: rows
// rewritten by the fixed transform; insert mode: read again and absorbed by the sink key).

import { describe, expect, it } from 'vitest';
import { parseRunWorkflowId } from '../../src/batch';
import { topicLag } from '../../src/kafka/lag';
import { countUnfinishedRuns, runsQuery } from '../../src/runs';
import { ensureSensors } from '../../src/workers/sensors';
import type { MicroBatchRunResult } from '../../src/workflows/micro-batch-run';
import { cleanUp, connectServers, logger, testConfig, waitFor, type Servers } from '../helpers';
import { cleanupAfterEach, setUpPipeline } from '../pipeline-harness';
import { envOf, rowsWithRuns, runCommand, seed, versionedTransform } from '../replay-harness';

const defer = cleanupAfterEach();

async function drained(servers: Servers, config: { topic: string; groupId: string }, rows: () => number, n: number) {
  await waitFor(`${n} rows in the sink`, () => rows() === n, 90_000);
  await waitFor('lag 0', async () => (await topicLag(servers.admin, config.groupId, config.topic)).totalLag === 0);
  await waitFor('no run in flight', async () => (await countUnfinishedRuns(servers.client, config)) === 0);
}

/** The results of the pipeline's runs started after a reset (their IDs name it), once all have ended. */
async function runsAfterReset(servers: Servers, config: { topic: string; groupId: string }, expected: number) {
  return waitFor(`${expected} records re-processed after the reset`, async () => {
    const results: MicroBatchRunResult[] = [];
    for await (const run of servers.client.workflow.list({ query: runsQuery(config, 'Completed') })) {
      if (parseRunWorkflowId(run.workflowId)?.reset === undefined) continue;
      results.push(await servers.client.workflow.getHandle(run.workflowId).result());
    }
    return results.reduce((sum, r) => sum + r.messages, 0) === expected && results;
  });
}

describe('npm run reset', () => {
  it('moves the live group back and the sensors re-process from there; with replace the rows are rewritten; a dry run changes nothing', async () => {
    const config = testConfig({
      SINK_WRITE_MODE: 'replace',
      KAFKA_TOPIC_PARTITIONS: '2',
      SENSOR_REPLICAS: '2',
      MAX_BATCH_SIZE: '5',
    });
    const version = versionedTransform();
    const { servers } = await setUpPipeline(config, defer, { transform: version.transform });
    await ensureSensors(servers.client, config, logger);
    await seed(servers, config.topic, 2, 10);
    await drained(servers, config, () => rowsWithRuns(config).length, 20);
    const before = await servers.admin.committedOffsets(config.groupId, config.topic);
    expect(Object.fromEntries(before)).toEqual({ 0: '10', 1: '10' });

    const dry = await runCommand('reset', ['--to-offset', '4', '--dry-run'], envOf(config));
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('partition 0: 10 → 4');
    expect(dry.stdout).toContain('partition 1: 10 → 4');
    expect(dry.stdout).toContain('nothing changed');
    // By time, resolved with Kafka's offsets-for-times: before every record is the log start, after
    // the last one the log end.
    const byTime = async (t: number) =>
      (await runCommand('reset', ['--to-time', String(t), '--dry-run'], envOf(config))).stdout;
    expect(await byTime(0)).toContain('partition 1: 10 → 0');
    expect(await byTime(Date.now() + 3_600_000)).toContain('partition 1: 10 → 10');
    expect(await servers.admin.committedOffsets(config.groupId, config.topic)).toEqual(before);
    expect(rowsWithRuns(config).every((r) => r.v === 1)).toBe(true);

    version.set(2); // the fix, deployed to the runs workers
    // 5: where the live pipeline's second batch began, so the re-read batch 5–9 has the boundaries
    // of a run already completed, and is run again only because its ID names the reset.
    const reset = await runCommand('reset', ['--to-offset', '5', '--partition', '0'], envOf(config));
    expect(reset.stderr).toBe('');
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('offsets moved by the sensors:');
    expect(reset.stdout).toMatch(/partition 0: 10 → 5 {2}\(committed now \d+\)/);
    expect(reset.stdout).not.toContain('partition 1');

    // Partition 0 from offset 5 is loaded again, by runs named after the reset, with the fix.
    await runsAfterReset(servers, config, 5);
    await drained(servers, config, () => rowsWithRuns(config).length, 20);
    const rows = rowsWithRuns(config);
    for (const row of rows) {
      const again = row.partition === 0 && row.offset >= 5;
      expect({ ...row, v: row.v }).toEqual({ ...row, v: again ? 2 : 1 });
    }
    expect(Object.fromEntries(await servers.admin.committedOffsets(config.groupId, config.topic))).toEqual({
      0: '10',
      1: '10',
    });
  });

  it('with no sensor running, sets the group offsets directly', async () => {
    const config = testConfig({ KAFKA_TOPIC_PARTITIONS: '2' });
    const servers = await connectServers(config);
    defer(async () => {
      await servers.admin.deleteGroups([config.groupId]).catch(() => undefined);
      await cleanUp(config, servers.admin);
      await servers.close();
    });
    await servers.admin.ensureTopic(config.topic, 2);
    await seed(servers, config.topic, 2, 10);

    const reset = await runCommand('reset', ['--to-offset', '3', '--partition', '1'], envOf(config));
    expect(reset.stderr).toBe('');
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('partition 1: (none) → 3');
    expect(reset.stdout).toContain('offsets moved directly (no sensor running)');
    expect(Object.fromEntries(await servers.admin.committedOffsets(config.groupId, config.topic))).toEqual({ 1: '3' });
  });

  it('in insert mode a reset to the earliest offsets re-processes every record, and the sink absorbs them', async () => {
    const config = testConfig({ KAFKA_TOPIC_PARTITIONS: '1', SENSOR_REPLICAS: '1', MAX_BATCH_SIZE: '5' });
    const version = versionedTransform();
    const { servers } = await setUpPipeline(config, defer, { transform: version.transform });
    await ensureSensors(servers.client, config, logger);
    await seed(servers, config.topic, 1, 10);
    await drained(servers, config, () => rowsWithRuns(config).length, 10);

    version.set(2);
    const reset = await runCommand('reset', ['--to-earliest'], envOf(config));
    expect(reset.stderr).toBe('');
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('partition 0: 10 → 0');

    const results = await runsAfterReset(servers, config, 10);
    expect(results.reduce((sum, r) => sum + r.alreadyLoaded, 0)).toBe(10);
    expect(results.reduce((sum, r) => sum + r.loaded, 0)).toBe(0);
    expect(rowsWithRuns(config).map((r) => r.v)).toEqual(Array(10).fill(1));
    await waitFor('lag 0', async () => (await topicLag(servers.admin, config.groupId, config.topic)).totalLag === 0);
  });
});
