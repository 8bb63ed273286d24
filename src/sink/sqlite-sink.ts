// The default sink: an embedded SQLite database, one transaction per batch. INSERT OR IGNORE on the
// (topic, partition, offset) key makes a repeated batch a no-op. Several worker processes may share
// the file: WAL mode lets readers (npm run lag, the tests) run beside the writers, and a busy
// timeout queues writers instead of failing them.

import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SinkUnavailableError } from '../errors';
import type { Sink, SinkRow, WriteResult } from './sink';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  topic           TEXT    NOT NULL,
  partition       INTEGER NOT NULL,
  "offset"        INTEGER NOT NULL,
  key             TEXT,
  payload         TEXT,
  produced_at     INTEGER,
  kafka_timestamp INTEGER NOT NULL,
  loaded_at       INTEGER NOT NULL,
  run_id          TEXT    NOT NULL,
  PRIMARY KEY (topic, partition, "offset")
) WITHOUT ROWID;
`;

/** SQLite result codes that mean "not now" rather than "never". */
const TRANSIENT_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|PROTOCOL)/;

export class SqliteSink implements Sink {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly writeAll: (rows: SinkRow[], loadedAt: number) => number;

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { timeout: 15_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.insert = this.db.prepare(
      `INSERT OR IGNORE INTO events (topic, partition, "offset", key, payload, produced_at, kafka_timestamp, loaded_at, run_id)
       VALUES (@topic, @partition, @offset, @key, @payload, @producedAt, @kafkaTimestamp, @loadedAt, @runId)`,
    );
    this.writeAll = this.db.transaction((rows: SinkRow[], loadedAt: number) => {
      let inserted = 0;
      for (const row of rows) inserted += this.insert.run({ ...row, offset: BigInt(row.offset), loadedAt }).changes;
      return inserted;
    });
  }

  async write(rows: SinkRow[]): Promise<WriteResult> {
    try {
      const inserted = this.writeAll(rows, Date.now());
      return { inserted, alreadyPresent: rows.length - inserted };
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (TRANSIENT_CODES.test(code)) throw new SinkUnavailableError(`SQLite ${code}: ${(err as Error).message}`);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
