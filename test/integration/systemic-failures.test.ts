// A fault is never bad data: a broken transform, a database that refuses every row and a database
// file that was read-only when the worker opened it hold the runs (visibly) instead of
// dead-lettering healthy records, and everything loads once the cause is gone. Poison records among
// healthy ones are still dead-lettered alone. Real Kafka, the shared Temporal dev server, the real
// SQLite sink.

import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { sensorWorkflowId } from '../../src/batch';
import type { Config } from '../../src/config';
import { transform, type SourceRecord } from '../../src/processing/transform';
import { ensureSensors } from '../../src/workers/sensors';
import { statusQuery } from '../../src/workflows/sensor';
import { logger, openSink, sinkRows, testConfig, waitFor, type Servers } from '../helpers';
import { cleanupAfterEach, produce, setUpPipeline } from '../pipeline-harness';

const defer = cleanupAfterEach();

async function deadLetterCount(servers: Servers, config: Config): Promise<number> {
  const end = await servers.admin.partitionBounds(config.dlqTopic);
  return end.reduce((sum, p) => sum + Number(p.high), 0);
}

/** The first sensor's lastError once it says a run holds its records for `cause`. */
function heldError(client: Client, config: Config, cause: RegExp) {
  const sensor = client.workflow.getHandle(sensorWorkflowId(config.topic, config.groupId, 0));
  return waitFor(`the sensor to report a held run (${cause})`, async () => {
    const { lastError } = await sensor.query(statusQuery);
    return lastError?.run && /holds its records/.test(lastError.message) && cause.test(lastError.message)
      ? lastError
      : undefined;
  });
}

/** What the Web UI shows as the run's current details. */
async function currentDetails(client: Client, workflowId: string): Promise<string> {
  const metadata = await client.workflow
    .getHandle(workflowId)
    .query<{ currentDetails: string }>('__temporal_workflow_metadata');
  return metadata.currentDetails;
}

/** Makes a file unwritable even for root (chattr +i), or for its owner (chmod) when not root. */
function makeReadOnly(path: string): () => void {
  if (process.getuid?.() === 0) {
    execFileSync('chattr', ['+i', path]);
    return () => execFileSync('chattr', ['-i', path]);
  }
  chmodSync(path, 0o444);
  return () => chmodSync(path, 0o644);
}

describe('a fault is never bad data', () => {
  it('a broken transform holds the runs, visibly, and everything loads once it is fixed', async () => {
    const config = testConfig({ SENSOR_REPLICAS: '1', KAFKA_TOPIC_PARTITIONS: '2', MAX_BATCH_SIZE: '100' });
    let broken = true;
    // A deploy broke the transform for every record; the fix is deployed while the runs hold.
    const transformOfTheDay = (record: SourceRecord) => {
      if (broken) throw new TypeError("Cannot read properties of undefined (reading 'customerId')");
      return transform(record);
    };
    const { servers } = await setUpPipeline(config, defer, { transform: transformOfTheDay });
    await produce(servers, config.topic, 400);
    await ensureSensors(servers.client, config, logger);

    const lastError = await heldError(servers.client, config, /transform fails on every record .* the same way/);
    expect(lastError.message).toMatch(/TypeError: Cannot read properties of undefined/);
    expect(lastError.recoveredAt).toBeUndefined();
    const details = await waitFor('the held run to show why in the Web UI', async () => {
      const shown = await currentDetails(servers.client, lastError.run!);
      return /^Held: /.test(shown) ? shown : undefined;
    });
    expect(details).toMatch(/nothing is dead-lettered because of it/);
    // Held: nothing loaded, nothing dead-lettered, however long it lasts.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(sinkRows(config)).toHaveLength(0);
    expect(await deadLetterCount(servers, config)).toBe(0);

    broken = false;
    await waitFor('all 400 rows once the transform is fixed', () => sinkRows(config).length === 400, 120_000);
    expect(await deadLetterCount(servers, config)).toBe(0);
    expect(await currentDetails(servers.client, lastError.run!)).toBe('');
    const sensor = servers.client.workflow.getHandle(sensorWorkflowId(config.topic, config.groupId, 0));
    await waitFor(
      'the held run to be marked as over',
      async () => (await sensor.query(statusQuery)).lastError?.recoveredAt,
    );
  });

  it('a transform whose every output cannot be serialised holds the runs instead of dead-lettering them', async () => {
    const config = testConfig({ SENSOR_REPLICAS: '1', KAFKA_TOPIC_PARTITIONS: '1' });
    let broken = true;
    // A deploy made amounts BigInts: JSON has no text for them, for any record.
    const transformOfTheDay = (record: SourceRecord) => {
      const out = transform(record);
      return broken ? { payload: { amount: 10n, seq: (out.payload as { seq: number }).seq } } : out;
    };
    const { servers } = await setUpPipeline(config, defer, { transform: transformOfTheDay });
    await produce(servers, config.topic, 50);
    await ensureSensors(servers.client, config, logger);

    await heldError(servers.client, config, /cannot be serialised for any record .*BigInt/);
    expect(await deadLetterCount(servers, config)).toBe(0);
    broken = false;
    await waitFor('all 50 rows once the transform is fixed', () => sinkRows(config).length === 50, 120_000);
    expect(await deadLetterCount(servers, config)).toBe(0);
  });

  it('a database that refuses every row holds even runs of a single record, and loads everything once it accepts them', async () => {
    // One record per run: no batch-mate to compare with, so the rule compares the runs this worker
    // served (src/processing/systemic-failure.ts).
    const config = testConfig({ SENSOR_REPLICAS: '1', KAFKA_TOPIC_PARTITIONS: '1', MAX_BATCH_SIZE: '1' });
    const { servers } = await setUpPipeline(config, defer);
    const admin = new Database(config.sqlitePath);
    defer(async () => void admin.close());
    admin.exec(`CREATE TRIGGER refuse_loads BEFORE INSERT ON events
                BEGIN SELECT RAISE(ABORT, 'loads are paused for maintenance'); END`);
    await produce(servers, config.topic, 30);
    await ensureSensors(servers.client, config, logger);

    await heldError(servers.client, config, /sink refuses every row .* loads are paused for maintenance/);
    await new Promise((r) => setTimeout(r, 5_000));
    expect(sinkRows(config)).toHaveLength(0);
    expect(await deadLetterCount(servers, config)).toBe(0);

    admin.exec('DROP TRIGGER refuse_loads');
    await waitFor('all 30 rows once the trigger is gone', () => sinkRows(config).length === 30, 120_000);
    expect(await deadLetterCount(servers, config)).toBe(0);
  });

  it('a database file that was read-only when the worker started is written once it is writable again', async () => {
    const config = testConfig({ SENSOR_REPLICAS: '1', KAFKA_TOPIC_PARTITIONS: '2' });
    // The file exists (an earlier worker made it), then cannot be written while this worker starts.
    await openSink(config).close();
    const writable = makeReadOnly(config.sqlitePath);
    let restored = false;
    const restore = () => {
      if (!restored) writable();
      restored = true;
    };
    defer(async () => restore());
    const { servers } = await setUpPipeline(config, defer);
    await produce(servers, config.topic, 200);
    await ensureSensors(servers.client, config, logger);

    await heldError(servers.client, config, /SQLITE_(READONLY|CANTOPEN)/);
    expect(await deadLetterCount(servers, config)).toBe(0);

    restore();
    await waitFor('all 200 rows once the file is writable', () => sinkRows(config).length === 200, 120_000);
    expect(await deadLetterCount(servers, config)).toBe(0);
  });

  it('3 poison records among 10,000 end as exactly 3 dead letters and 9,997 rows', async () => {
    const config = testConfig({ SENSOR_REPLICAS: '2', KAFKA_TOPIC_PARTITIONS: '4', RUN_MAX_ATTEMPTS: '2' });
    const poison = new Set([17, 4_242, 9_999]);
    const transformWithPoison = (record: SourceRecord) => {
      const out = transform(record);
      const seq = (out.payload as { seq: number }).seq;
      if (poison.has(seq)) throw new Error(`downstream refused record ${seq}`);
      return out;
    };
    const { servers } = await setUpPipeline(config, defer, { transform: transformWithPoison });
    await produce(servers, config.topic, 10_000);
    await ensureSensors(servers.client, config, logger);

    await waitFor('9,997 rows', () => sinkRows(config).length === 9_997, 180_000);
    await waitFor('3 dead letters', async () => (await deadLetterCount(servers, config)) === 3, 60_000);
    const loaded = new Set(sinkRows(config).map((r) => JSON.parse(r.payload!).seq as number));
    for (const seq of poison) expect(loaded.has(seq)).toBe(false);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(sinkRows(config)).toHaveLength(9_997);
    expect(await deadLetterCount(servers, config)).toBe(3);
  });
});
