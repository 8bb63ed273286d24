// The default sink: an embedded SQLite database, one transaction per batch. In insert mode INSERT OR
// IGNORE on the (topic, partition, offset) key makes a repeated batch a no-op; in replace mode
// INSERT ... ON CONFLICT DO UPDATE overwrites the rows it loads again. Several worker processes may share
// the file: WAL mode lets readers (npm run lag, the tests) run beside the writers, and a busy
// timeout queues writers instead of failing them.
//
// What a failed write means (see Sink.write):
// - the file cannot be written now (locked, read-only, unreadable, disk full): an outage. The
//   connection is dropped and opened again at the next write, so a file that was read-only when the
//   worker opened it (SQLite then falls back to a read-only connection) is written once it is
//   writable again, without a restart;
// - one row breaks a rule of the table (a CHECK, NOT NULL or foreign key constraint, a trigger that
//   aborts, a value too big): that row is named, and the rest of the batch is written again without
//   it (processBatch decides whether that is bad data or a systemic failure);
// - anything else (a missing table, a corrupt file): the batch is refused without naming a row.

import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { RecordRejectedError, SinkUnavailableError } from '../errors';
import type { Sink, SinkRow, WriteMode, WriteResult } from './sink';

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
const TRANSIENT_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|PROTOCOL|READONLY)/;
/** SQLite result codes that are about the row being written. */
const ROW_CODES = /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH)/;

interface Connection {
  db: Database.Database;
  writeAll: (rows: SinkRow[], loadedAt: number) => number;
}

/** A row's insert failed: carries which row. */
class RowWriteError extends Error {
  constructor(
    override readonly cause: Error & { code?: string },
    readonly offset: string,
  ) {
    super(cause.message);
  }
}

export class SqliteSink implements Sink {
  private connection: Connection | undefined;

  /** Opens the file now, so a path that can never work stops the worker at startup. */
  constructor(
    readonly path: string,
    readonly writeMode: WriteMode = 'insert',
  ) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    try {
      this.connection = open(path, writeMode);
    } catch (err) {
      // Not writable right now: an outage like any other, met again (and retried) at the first write.
      if (!TRANSIENT_CODES.test(codeOf(err))) throw err;
    }
  }

  async write(rows: SinkRow[]): Promise<WriteResult> {
    try {
      this.connection ??= open(this.path, this.writeMode);
      const inserted = this.connection.writeAll(rows, Date.now());
      return { inserted, alreadyPresent: rows.length - inserted };
    } catch (err) {
      const cause = err instanceof RowWriteError ? err.cause : (err as Error);
      const code = codeOf(cause);
      if (TRANSIENT_CODES.test(code)) {
        this.drop();
        throw new SinkUnavailableError(`SQLite ${code} on ${this.path}: ${cause.message}`);
      }
      if (err instanceof RowWriteError && ROW_CODES.test(code)) {
        throw new RecordRejectedError(`SQLite ${code}: ${cause.message}`, err.offset);
      }
      throw cause;
    }
  }

  async close(): Promise<void> {
    this.drop();
  }

  private drop() {
    try {
      this.connection?.db.close();
    } catch {
      // Closing a connection that went bad may fail too; it is gone either way.
    }
    this.connection = undefined;
  }
}

const INSERT = `INSERT OR IGNORE INTO events (topic, partition, "offset", key, payload, produced_at, kafka_timestamp, loaded_at, run_id)
  VALUES (@topic, @partition, @offset, @key, @payload, @producedAt, @kafkaTimestamp, @loadedAt, @runId)`;
const UPSERT = `INSERT INTO events (topic, partition, "offset", key, payload, produced_at, kafka_timestamp, loaded_at, run_id)
  VALUES (@topic, @partition, @offset, @key, @payload, @producedAt, @kafkaTimestamp, @loadedAt, @runId)
  ON CONFLICT (topic, partition, "offset") DO UPDATE SET key = excluded.key, payload = excluded.payload,
    produced_at = excluded.produced_at, kafka_timestamp = excluded.kafka_timestamp,
    loaded_at = excluded.loaded_at, run_id = excluded.run_id`;

function open(path: string, writeMode: WriteMode): Connection {
  const db = new Database(path, { timeout: 15_000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    const insert = db.prepare(writeMode === 'replace' ? UPSERT : INSERT);
    // An upsert changes one row whether it inserted or overwrote: a lookup first tells which, so
    // WriteResult still separates new rows from rows loaded again (same transaction, same answer).
    const present = db.prepare('SELECT 1 FROM events WHERE topic = ? AND partition = ? AND "offset" = ?').pluck();
    const writeAll = db.transaction((rows: SinkRow[], loadedAt: number) => {
      let inserted = 0;
      for (const row of rows) {
        try {
          const offset = BigInt(row.offset);
          const isNew = writeMode === 'insert' || present.get(row.topic, row.partition, offset) === undefined;
          const { changes } = insert.run({ ...row, offset, loadedAt });
          if (isNew) inserted += changes;
        } catch (err) {
          throw new RowWriteError(err as Error, row.offset);
        }
      }
      return inserted;
    });
    // Replace mode reads before it writes: take the write lock at BEGIN, so no other process's
    // commit can come between the lookup and the write (WAL would refuse the write: SQLITE_BUSY).
    return { db, writeAll: writeMode === 'replace' ? writeAll.immediate : writeAll };
  } catch (err) {
    db.close();
    throw err;
  }
}

function codeOf(err: unknown): string {
  return (err as { code?: unknown })?.code?.toString() ?? '';
}
