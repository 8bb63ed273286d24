// The SQLite sink's write modes on a real file: insert keeps the first load of a row, replace
// overwrites it, and both count new rows apart from rows loaded again.

import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SinkRow } from '../../src/sink';
import { SqliteSink } from '../../src/sink/sqlite-sink';

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

describe('the SQLite sink', () => {
  it('in insert mode keeps the first load of a row', async () => {
    const path = sinkPath();
    const sink = new SqliteSink(path);
    expect(await sink.write(rows(10, 1))).toEqual({ inserted: 10, alreadyPresent: 0 });
    expect(await sink.write(rows(15, 2))).toEqual({ inserted: 5, alreadyPresent: 10 });
    await sink.close();
    expect(stored(path).map((r) => r.run_id)).toEqual([...Array(10).fill('run-v1'), ...Array(5).fill('run-v2')]);
  });

  it('in replace mode overwrites a row loaded again, and counts it apart from new rows', async () => {
    const path = sinkPath();
    const first = new SqliteSink(path);
    await first.write(rows(10, 1));
    await first.close();
    const sink = new SqliteSink(path, 'replace');
    expect(await sink.write(rows(15, 2))).toEqual({ inserted: 5, alreadyPresent: 10 });
    expect(await sink.write(rows(15, 3))).toEqual({ inserted: 0, alreadyPresent: 15 });
    await sink.close();
    const after = stored(path);
    expect(after).toHaveLength(15);
    expect(after.every((r) => r.run_id === 'run-v3' && JSON.parse(r.payload).version === 3)).toBe(true);
  });
});
