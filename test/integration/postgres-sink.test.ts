// The postgres sink against the real PostgreSQL server: loads, idempotence, replace mode, rows the
// table refuses, faults that name no row, and outages (a stopped server, a killed connection).
// Each test has a database of its own (test/postgres.ts).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordRejectedError, SinkUnavailableError } from '../../src/errors';
import { failureSignature } from '../../src/processing/systemic-failure';
import { resolvePostgres } from '../../src/sink/postgres-connection';
import { PostgresSink } from '../../src/sink/postgres-sink';
import type { SinkRow, WriteMode } from '../../src/sink';
import { createTestDatabase, type TestDatabase } from '../postgres';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function database(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  return db;
}

async function sinkFor(
  url: string,
  writeMode: WriteMode = 'insert',
  env: NodeJS.ProcessEnv = {},
): Promise<PostgresSink> {
  const sink = new PostgresSink({ target: resolvePostgres(url, env), table: 'events', writeMode, poolSize: 2 });
  cleanups.push(() => sink.close());
  return sink;
}

function rows(count: number, payload = (i: number) => ({ seq: i }), from = 0): SinkRow[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return {
      topic: 'events',
      partition: 1,
      offset: String(i),
      key: `key-${i}`,
      payload: JSON.stringify(payload(i)),
      producedAt: 1_700_000_000_000 + i,
      kafkaTimestamp: 1_700_000_000_000 + i,
      runId: 'run-a',
    };
  });
}

async function stored(db: TestDatabase) {
  const { rows } = await db.sql('SELECT "offset"::int AS offset, payload, run_id FROM events ORDER BY "offset"');
  return rows as Array<{ offset: number; payload: { seq: number; v?: number }; run_id: string }>;
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('the postgres sink', () => {
  it('creates its table, loads a batch once, and a batch written again changes nothing', async () => {
    const db = await database();
    const sink = await sinkFor(db.url);
    await sink.prepare();
    expect(await sink.write(rows(1000))).toEqual({ inserted: 1000, alreadyPresent: 0 });
    const first = await stored(db);
    // Written again, with other payloads and another run: insert mode keeps the first load.
    const again = rows(1200, (i) => ({ seq: i, v: 2 })).map((r) => ({ ...r, runId: 'run-b' }));
    expect(await sink.write(again)).toEqual({ inserted: 200, alreadyPresent: 1000 });
    const after = await stored(db);
    expect(after).toHaveLength(1200);
    expect(after.slice(0, 1000)).toEqual(first);
    expect(after[1100]!.run_id).toBe('run-b');
    // The key is the table's primary key, as in the SQLite sink.
    const { rows: key } = await db.sql(
      `SELECT array_agg(a.attname::text ORDER BY k.n) AS cols FROM pg_index i
       CROSS JOIN unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
       WHERE i.indrelid = 'events'::regclass AND i.indisprimary`,
    );
    expect(key[0].cols).toEqual(['topic', 'partition', 'offset']);
  });

  it('replace mode overwrites rows loaded again and counts them apart from new ones', async () => {
    const db = await database();
    await (await sinkFor(db.url)).write(rows(100));
    const sink = await sinkFor(db.url, 'replace');
    const again = rows(150, (i) => ({ seq: i, v: 2 })).map((r) => ({ ...r, runId: 'run-b' }));
    expect(await sink.write(again)).toEqual({ inserted: 50, alreadyPresent: 100 });
    const after = await stored(db);
    expect(after).toHaveLength(150);
    expect(after.every((r) => r.payload.v === 2 && r.run_id === 'run-b')).toBe(true);
  });

  it('names the rows whose values their column refuses, and loads the rest once they are taken out', async () => {
    const db = await database();
    const sink = await sinkFor(db.url);
    await sink.prepare();
    const batch = rows(500);
    batch[17]!.producedAt = 1.5; // bigint refuses a fraction
    batch[300]!.key = 'nul \u0000 inside'; // text cannot hold NUL
    batch[420]!.payload = '"\\u0000"'; // nor can jsonb
    // As processBatch does: write, take out the rows named, write the rest again.
    const named: RecordRejectedError[] = [];
    let rest = batch;
    for (let round = 0; round < 5; round++) {
      const err = await errorOf(sink.write(rest));
      if (err === undefined) break;
      expect(await stored(db)).toHaveLength(0); // all or nothing
      const errors = err instanceof AggregateError ? (err.errors as unknown[]) : [err];
      expect(errors.every((e) => e instanceof RecordRejectedError)).toBe(true);
      named.push(...(errors as RecordRejectedError[]));
      rest = rest.filter((r) => !named.some((e) => e.offset === r.offset));
    }
    expect(named.map((e) => e.offset).sort()).toEqual(['17', '300', '420']);
    expect(named.find((e) => e.offset === '17')!.message).toMatch(/22P02.*bigint/);
    expect(await stored(db)).toHaveLength(497);
  });

  it('names rows that break a constraint, all with one kind, so a constraint refusing every row reads as systemic', async () => {
    const db = await database();
    const sink = await sinkFor(db.url);
    await sink.prepare();
    await db.sql(`ALTER TABLE events ADD CONSTRAINT small_seq CHECK ((payload->>'seq')::int < 90)`);
    const err = await errorOf(sink.write(rows(100)));
    const named = (err as AggregateError).errors as RecordRejectedError[];
    expect(named.map((e) => e.offset)).toEqual(Array.from({ length: 10 }, (_, i) => String(90 + i)));
    expect(new Set(named.map(failureSignature)).size).toBe(1);
    expect(named[0]!.message).toContain('small_seq');
  });

  it('refuses a batch without naming a row when the table is missing or not writable, and never shows the password', async () => {
    const db = await database();
    const sink = await sinkFor(db.url);
    await sink.prepare();
    await db.sql('DROP TABLE events');
    const missing = await errorOf(sink.write(rows(3)));
    expect(missing).toBeInstanceOf(Error);
    expect(missing).not.toBeInstanceOf(RecordRejectedError);
    expect(missing).not.toBeInstanceOf(SinkUnavailableError);
    expect((missing as Error).message).toMatch(/42P01|does not exist/);

    // A role that may read the table but not write it, with a password (scram on loopback).
    const password = 'S3cret-pa55';
    const role = `${db.name}_reader`;
    await db.sql(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    cleanups.push(async () => void (await db.sql(`DROP OWNED BY ${role}; DROP ROLE ${role}`).catch(() => undefined)));
    await (await sinkFor(db.url)).prepare();
    await db.sql(`GRANT SELECT ON events TO ${role}`);
    const url = new URL(db.url);
    url.username = role;
    url.password = password;
    const reader = await sinkFor(url.toString());
    const denied = await errorOf(reader.write(rows(3)));
    expect(denied).not.toBeInstanceOf(RecordRejectedError);
    expect(denied).not.toBeInstanceOf(SinkUnavailableError);
    expect((denied as Error).message).toMatch(/42501|permission denied/);
    expect((denied as Error).message).not.toContain(password);

    url.password = 'wrong-password';
    const wrong = await errorOf((await sinkFor(url.toString())).write(rows(1)));
    expect((wrong as Error).message).toMatch(/28P01|password authentication failed/);
    expect((wrong as Error).message).not.toContain('wrong-password');
  });

  it('reports a connection killed in the middle of a write as an outage, and writes once it can', async () => {
    const db = await database();
    const sink = await sinkFor(db.url, 'insert', { PGAPPNAME: 'sink-under-test' });
    await sink.prepare();
    // Hold the table, so the sink's write waits inside its transaction, then end its session.
    await db.sql('BEGIN');
    await db.sql('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
    const writing = errorOf(sink.write(rows(50)));
    const admin = await createTestDatabase();
    cleanups.push(() => admin.drop());
    let killed = 0;
    for (let i = 0; i < 100 && killed === 0; i++) {
      const { rows: r } = await admin.sql(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE application_name = 'sink-under-test' AND wait_event_type = 'Lock'`,
      );
      killed = r[0].n;
      if (killed === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(killed).toBe(1);
    const err = await writing;
    await db.sql('ROLLBACK');
    expect(err).toBeInstanceOf(SinkUnavailableError);
    expect((err as Error).message).toMatch(/57P01|terminat/);
    expect(await sink.write(rows(50))).toEqual({ inserted: 50, alreadyPresent: 0 });
  });

  it('reports a stopped server as an outage, and writes once it is back', async () => {
    // A server of its own (scripts/infra.sh with another data folder and port), so stopping it
    // disturbs no other test.
    const dataDir = mkdtempSync(join(tmpdir(), 'microbatch-pg-'));
    execFileSync('chmod', ['755', dataDir]); // the postgres user must reach it when we run as root
    const port = String(20_000 + Math.floor(Math.random() * 20_000));
    const infra = (...args: string[]) =>
      execFileSync('bash', [resolve(__dirname, '../../scripts/infra.sh'), ...args], {
        env: { ...process.env, INFRA_DATA_DIR: dataDir, POSTGRES_PORT: port },
        stdio: 'pipe',
      });
    infra('start', 'postgres');
    cleanups.push(async () => {
      infra('stop', 'postgres');
      rmSync(dataDir, { recursive: true, force: true });
    });
    const sink = await sinkFor(`postgresql://microbatch@127.0.0.1:${port}/microbatch`);
    expect(await sink.write(rows(10))).toEqual({ inserted: 10, alreadyPresent: 0 });
    infra('stop', 'postgres');
    const err = await errorOf(sink.write(rows(20)));
    expect(err).toBeInstanceOf(SinkUnavailableError);
    infra('start', 'postgres');
    expect(await sink.write(rows(20))).toEqual({ inserted: 10, alreadyPresent: 10 });
  });
});
