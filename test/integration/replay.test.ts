// `npm run replay` against the real servers: a replay with a fixed transform and
// SINK_WRITE_MODE=replace rewrites exactly its range (SQLite and PostgreSQL), a replay by time
// picks the offsets Kafka's offsets-for-times gives, and a replay never moves the live group's
// committed offsets nor talks to its sensors.

import { describe, expect, it } from 'vitest';
import { replayWorkflowId, sensorWorkflowId } from '../../src/batch';
import { openSink, type Sink } from '../../src/sink';
import { resolveReplayRanges } from '../../src/replay/resolve';
import { startReplay } from '../../src/replay/start';
import { countUnfinishedRuns } from '../../src/runs';
import { topicLag } from '../../src/kafka/lag';
import { ensureSensors } from '../../src/workers/sensors';
import { statusQuery } from '../../src/workflows/sensor';
import { logger, testConfig, waitFor, type Servers } from '../helpers';
import { cleanupAfterEach, setUpPipeline } from '../pipeline-harness';
import { createTestDatabase } from '../postgres';
import { envOf, rowsWithRuns, runCommand, seed, versionedTransform, type SinkRow } from '../replay-harness';

const defer = cleanupAfterEach();

/** Waits until the live pipeline has loaded `rows` rows, committed everything and finished its runs. */
async function drained(
  servers: Servers,
  config: { topic: string; groupId: string },
  rows: () => Promise<number>,
  n: number,
) {
  await waitFor(`${n} rows in the sink`, async () => (await rows()) === n, 90_000);
  await waitFor('lag 0', async () => (await topicLag(servers.admin, config.groupId, config.topic)).totalLag === 0);
  await waitFor('no run in flight', async () => (await countUnfinishedRuns(servers.client, config)) === 0);
}

/** Rows of partition 0 offsets 3..8 come from the replay with the new transform; every other row is untouched. */
function expectOnlyRangeRewritten(rows: Array<Pick<SinkRow, 'partition' | 'offset' | 'v' | 'runId'>>, name: string) {
  expect(rows).toHaveLength(20);
  for (const row of rows) {
    const inRange = row.partition === 0 && row.offset >= 3 && row.offset <= 8;
    expect({ ...row, v: row.v, replayed: row.runId.startsWith(`replay-${name}/`) }).toEqual({
      ...row,
      v: inRange ? 2 : 1,
      replayed: inRange,
    });
  }
}

describe('npm run replay', () => {
  it('a replay of a range with a fixed transform and SINK_WRITE_MODE=replace rewrites exactly that range, and the live group offsets and sensor are untouched (SQLite)', async () => {
    const config = testConfig({
      SINK_WRITE_MODE: 'replace',
      KAFKA_TOPIC_PARTITIONS: '2',
      SENSOR_REPLICAS: '1',
      MAX_BATCH_SIZE: '4',
    });
    const version = versionedTransform();
    const { servers } = await setUpPipeline(config, defer, { transform: version.transform });
    await ensureSensors(servers.client, config, logger);
    await seed(servers, config.topic, 2, 10);
    await drained(servers, config, async () => rowsWithRuns(config).length, 20);
    const committedBefore = await servers.admin.committedOffsets(config.groupId, config.topic);
    const sensor = servers.client.workflow.getHandle(sensorWorkflowId(config.topic, config.groupId, 0));
    const sensorBefore = await sensor.query(statusQuery);

    version.set(2); // the fix, deployed to the runs workers
    const replay = await runCommand(
      'replay',
      ['--partition', '0', '--from-offset', '3', '--to-offset', '8', '--name', 'fix1'],
      envOf(config),
    );
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain('partition 0: offsets 3–8 (6)');
    // Two runs of at most MAX_BATCH_SIZE=4 offsets: 3–6 and 7–8; every row was in the sink already.
    expect(replay.stdout).toContain(
      'replay fix1 done: 2 runs (2 completed, 0 failed), 6 records: 0 loaded new, 6 already in the sink',
    );

    expectOnlyRangeRewritten(rowsWithRuns(config), 'fix1');
    const runIds = new Set(
      rowsWithRuns(config)
        .filter((r) => r.v === 2)
        .map((r) => r.runId),
    );
    expect([...runIds].sort()).toEqual([
      `replay-fix1/microbatch-${config.topic}-p0-3-6@${config.groupId}`,
      `replay-fix1/microbatch-${config.topic}-p0-7-8@${config.groupId}`,
    ]);

    // The live pipeline did not move, and heard nothing from the replay's runs.
    expect(await servers.admin.committedOffsets(config.groupId, config.topic)).toEqual(committedBefore);
    const sensorAfter = await sensor.query(statusQuery);
    expect({ batches: sensorAfter.batches, messages: sensorAfter.messages, lastError: sensorAfter.lastError }).toEqual({
      batches: sensorBefore.batches,
      messages: sensorBefore.messages,
      lastError: sensorBefore.lastError,
    });
    const signals = ((await sensor.fetchHistory()).events ?? [])
      .map((e) => e.workflowExecutionSignaledEventAttributes)
      .filter((s) => s && JSON.stringify(s.input ?? {}).includes('replay-'));
    expect(signals).toEqual([]);

    // The replay is one workflow; its name cannot be used again (its runs' IDs are taken).
    const described = await servers.client.workflow
      .getHandle(replayWorkflowId('fix1', config.topic, config.groupId))
      .describe();
    expect(described.status.name).toBe('COMPLETED');
    const again = await runCommand('replay', ['--from-offset', '0', '--name', 'fix1'], envOf(config));
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--name="fix1" is not valid');
  });

  it('a replay with SINK_WRITE_MODE=replace rewrites exactly its range in PostgreSQL too', async () => {
    const db = await createTestDatabase();
    defer(() => db.drop());
    const config = testConfig({
      SINK: 'postgres',
      DATABASE_URL: db.url,
      SINK_WRITE_MODE: 'replace',
      KAFKA_TOPIC_PARTITIONS: '2',
      SENSOR_REPLICAS: '1',
      MAX_BATCH_SIZE: '4',
    });
    const sink: Sink = await openSink(config, logger);
    defer(() => sink.close());
    const rows = async () =>
      (
        await db.sql(
          `SELECT partition, "offset"::int AS offset, (payload->>'v')::int AS v, run_id AS "runId" FROM events
           WHERE topic = $1 ORDER BY partition, "offset"`,
          [config.topic],
        )
      ).rows as SinkRow[];
    const version = versionedTransform();
    const { servers } = await setUpPipeline(config, defer, { transform: version.transform, sink });
    await ensureSensors(servers.client, config, logger);
    await seed(servers, config.topic, 2, 10);
    await drained(servers, config, async () => (await rows()).length, 20);

    version.set(2);
    const { ranges } = await resolveReplayRanges(servers.admin, config.topic, {
      partition: 0,
      from: { offset: '3' },
      to: { offset: '8' },
    });
    const result = await (await startReplay(servers.client, config, 'pgfix', ranges)).result();
    expect(result).toMatchObject({ phase: 'done', runsCompleted: 2, runsFailed: 0, messages: 6, alreadyLoaded: 6 });
    expectOnlyRangeRewritten(await rows(), 'pgfix');
  });

  it('a replay by time picks the offsets whose timestamps fall in the window, ends included', async () => {
    const config = testConfig({ WORKER_ROLES: 'runs', KAFKA_TOPIC_PARTITIONS: '1', MAX_BATCH_SIZE: '3' });
    const { servers } = await setUpPipeline(config, defer, { createTopics: false });
    await servers.admin.ensureTopic(config.topic, 1);
    await servers.admin.ensureTopic(config.dlqTopic, 1);
    // Record i is stamped base + i s: offsets and seconds line up.
    const base = Math.floor(Date.now() / 1000) * 1000 - 600_000;
    await seed(servers, config.topic, 1, 10, base, 1_000);
    const window = (from?: number, to?: number) =>
      resolveReplayRanges(servers.admin, config.topic, {
        from: from === undefined ? undefined : { timeMs: from },
        to: to === undefined ? undefined : { timeMs: to },
      });

    // 2.5 s → the first record at or after it is offset 3; 6 s exactly → offset 6 is included.
    const { ranges } = await window(base + 2_500, base + 6_000);
    expect(ranges).toEqual([{ partition: 0, first: '3', last: '6' }]);
    // Before the first record: from the log start. After the last: nothing. To before the first: nothing.
    expect((await window(base - 3_600_000, base + 1_000)).ranges).toEqual([{ partition: 0, first: '0', last: '1' }]);
    expect((await window(base + 60_000)).ranges).toEqual([]);
    expect((await window(undefined, base - 1)).ranges).toEqual([]);

    const result = await (await startReplay(servers.client, config, 'bytime', ranges)).result();
    expect(result).toMatchObject({ phase: 'done', runsCompleted: 2, messages: 4, loaded: 4, runsFailed: 0 });
    // Nothing else was loaded: the sink holds exactly offsets 3..6.
    expect(rowsWithRuns(config).map((r) => r.offset)).toEqual([3, 4, 5, 6]);
  });

  it('a bad flag stops the command at startup with exit code 2, naming the flag', async () => {
    const config = testConfig();
    for (const [args, flag] of [
      [['--from-offset', 'ten'], '--from-offset'],
      [['--from-time', 'yesterday'], '--from-time'],
      [['--from-offset', '1', '--from-time', '2026-01-01'], '--from-time'],
      [['--from-ofset', '1'], '--from-ofset'],
      [['--from-offset', '1', '--name', 'no spaces'], '--name'],
    ] as const) {
      const run = await runCommand('replay', [...args], envOf(config), 30_000);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toContain(`configuration error: ${flag}`);
    }
  });
});
