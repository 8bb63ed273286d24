// The SQLite sink's write modes on a real file: insert keeps the first load of a row, replace
// overwrites it, and both count new rows apart from rows loaded again; and its errors, by kind.
// Every case runs on SqliteSink and on ThreadedSqliteSink (the same sink on its own thread, what
// the worker opens), whose errors must come back as the same classes. Then ThreadedSqliteSink alone:
// a thread that dies is replaced at the next write.

import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SinkRow } from '../../src/sink';
import type { Sink, WriteMode } from '../../src/sink';
import { RecordRejectedError, SinkUnavailableError } from '../../src/errors';
import { SqliteSink } from '../../src/sink/sqlite-sink';
import { ThreadedSqliteSink } from '../../src/sink/threaded-sqlite-sink';

const kinds: Array<[string, (path: string, mode?: WriteMode) => Sink]> = [
  ['SqliteSink', (path, mode) => new SqliteSink(path, mode)],
  ['ThreadedSqliteSink', (path, mode) => new ThreadedSqliteSink(path, mode)],
];

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function sinkPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-sink-'));
  dirs.push(dir);
  return join(dir, 'sink.sqlite');
}

function rows(count: number, version: number): SinkRow[] {
  return Array.from({ length: count }, (_, i) => ({
    topic: 'events',
    partition: 0,
    offset: String(i),
    key: `k${i}`,
    payload: JSON.stringify({ seq: i, version }),
    producedAt: null,
    kafkaTimestamp: 1_700_000_000_000,
    runId: `run-v${version}`,
  }));
}

function stored(path: string): Array<{ payload: string; run_id: string }> {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT payload, run_id FROM events ORDER BY "offset"').all() as never;
  } finally {
    db.close();
  }
}

describe.each(kinds)('the SQLite sink (%s)', (_name, openSink) => {
  it('in insert mode keeps the first load of a row', async () => {
    const path = sinkPath();
    const sink = openSink(path);
    expect(await sink.write(rows(10, 1))).toEqual({ inserted: 10, alreadyPresent: 0 });
    expect(await sink.write(rows(15, 2))).toEqual({ inserted: 5, alreadyPresent: 10 });
    await sink.close();
    expect(stored(path).map((r) => r.run_id)).toEqual([...Array(10).fill('run-v1'), ...Array(5).fill('run-v2')]);
  });

  it('in replace mode overwrites a row loaded again, and counts it apart from new rows', async () => {
    const path = sinkPath();
    const first = openSink(path);
    await first.write(rows(10, 1));
    await first.close();
    const sink = openSink(path, 'replace');
    expect(await sink.write(rows(15, 2))).toEqual({ inserted: 5, alreadyPresent: 10 });
    expect(await sink.write(rows(15, 3))).toEqual({ inserted: 0, alreadyPresent: 15 });
    await sink.close();
    const after = stored(path);
    expect(after).toHaveLength(15);
    expect(after.every((r) => r.run_id === 'run-v3' && JSON.parse(r.payload).version === 3)).toBe(true);
  });

  it('names the row a table rule refuses, as RecordRejectedError with its offset', async () => {
    const path = sinkPath();
    const setup = new SqliteSink(path);
    await setup.close();
    const db = new Database(path);
    db.exec(`CREATE TRIGGER no_seven BEFORE INSERT ON events WHEN NEW."offset" = 7
             BEGIN SELECT RAISE(ABORT, 'seven is refused'); END`);
    db.close();
    const sink = openSink(path);
    const error = await sink.write(rows(10, 1)).catch((e: unknown) => e);
    await sink.close();
    expect(error).toBeInstanceOf(RecordRejectedError);
    expect(error).toMatchObject({ offset: '7', message: expect.stringContaining('seven is refused') });
    expect(stored(path)).toHaveLength(0);
  });

  it('reports a file it cannot open as an outage (SinkUnavailableError)', async () => {
    // A directory where the file should be: SQLite cannot open it (SQLITE_CANTOPEN), as with a
    // missing mount or a file without permission, which root here would not feel.
    const path = sinkPath();
    mkdirSync(path);
    const sink = openSink(path);
    const error = await sink.write(rows(1, 1)).catch((e: unknown) => e);
    await sink.close();
    expect(error).toBeInstanceOf(SinkUnavailableError);
    expect((error as Error).message).toMatch(/SQLITE_CANTOPEN/);
  });

  it("refuses a batch as a whole, keeping the error's name, when the table is gone", async () => {
    const path = sinkPath();
    const sink = openSink(path);
    await sink.write(rows(1, 1));
    const db = new Database(path);
    db.exec('DROP TABLE events');
    db.close();
    const error = await sink.write(rows(2, 2)).catch((e: unknown) => e);
    await sink.close();
    expect(error).not.toBeInstanceOf(RecordRejectedError);
    expect(error).not.toBeInstanceOf(SinkUnavailableError);
    expect(error).toMatchObject({ name: 'SqliteError', message: expect.stringMatching(/no such table|schema/) });
  });
});

describe("the SQLite sink's thread, when it dies", () => {
  // Node announces every thread it starts ('worker' on process, on the next tick): the tests take
  // the sink's own and kill it from outside, as a crash or the out-of-memory killer would, with no
  // hook in the sink.
  const threads: Worker[] = [];
  const started = (thread: Worker) => threads.push(thread);
  beforeEach(() => void process.on('worker', started));
  afterEach(() => {
    process.off('worker', started);
    threads.splice(0);
  });
  const announced = () => new Promise((resolve) => setImmediate(resolve));
  const ended = (thread: Worker) => new Promise((resolve) => thread.once('exit', resolve));

  async function openThreaded(path: string): Promise<{ sink: ThreadedSqliteSink; thread: Worker }> {
    const sink = new ThreadedSqliteSink(path);
    await announced();
    expect(threads).toHaveLength(1);
    return { sink, thread: threads[0]! };
  }

  // How each death is told in the failed writes' errors.
  const deaths: Array<[string, (thread: Worker) => void, RegExp]> = [
    ['is terminated', (thread) => void thread.terminate(), /thread exited \(code \d+\)/],
    // The thread reads `request.type` of every message: a null one throws there, uncaught.
    ['throws an uncaught error', (thread) => thread.postMessage(null), /thread died: .*null/],
  ];

  describe.each(deaths)('(it %s)', (_how, kill, told) => {
    it('fails the writes it had not answered as an outage (SinkUnavailableError)', async () => {
      const { sink, thread } = await openThreaded(sinkPath());
      kill(thread);
      const inFlight = await Promise.allSettled([sink.write(rows(1000, 1)), sink.write(rows(10, 2))]);
      await sink.close();
      for (const result of inFlight) {
        expect(result.status === 'rejected' && result.reason).toBeInstanceOf(SinkUnavailableError);
        expect(result.status === 'rejected' && (result.reason as Error).message).toMatch(told);
      }
    });

    it('writes the next batch on a new thread', async () => {
      const path = sinkPath();
      const { sink, thread } = await openThreaded(path);
      await sink.write(rows(5, 1));
      kill(thread);
      await ended(thread);
      expect(await sink.write(rows(10, 2))).toEqual({ inserted: 5, alreadyPresent: 5 });
      await sink.close();
      expect(threads).toHaveLength(2);
      expect(stored(path)).toHaveLength(10);
    });

    it('closes all the same, and once closed refuses a write without starting a thread', async () => {
      const { sink, thread } = await openThreaded(sinkPath());
      kill(thread);
      await ended(thread);
      await sink.close();
      const error = await sink.write(rows(1, 1)).catch((e: unknown) => e);
      // Not an outage: a run must not wait for a sink its worker closed.
      expect(error).not.toBeInstanceOf(SinkUnavailableError);
      expect(error).toMatchObject({ message: 'the SQLite sink is closed' });
      await announced();
      expect(threads).toHaveLength(1);
    });
  });
});
