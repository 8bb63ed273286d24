// The PostgreSQL sink (SINK=postgres): one transaction per batch, the batch streamed with COPY into
// a temporary staging table, then moved into the sink table with INSERT ... ON CONFLICT on the
// (topic, partition, offset) key: DO NOTHING in insert mode (a repeated batch changes nothing), DO
// UPDATE in replace mode (a repeated batch overwrites its rows). Connections come from a pool of
// MAX_CONCURRENT_RUNS, the number of batches a worker writes at once.
//
// Why a staging table of text columns: COPY then accepts every line, and each value is converted to
// its column's type by the INSERT, where a value the type refuses, or a constraint a row breaks,
// can be pinned on its row: the INSERT is tried again on halves of the batch, each in a savepoint,
// keeping the halves that pass, until every refused row is found (a few statements per bad row).
// What the errors mean (outage, bad row, or a fault of the whole batch) is postgres-errors.ts.
//
// Neighbours: sink.ts (the contract), postgres-connection.ts (settings), copy-text.ts (COPY lines).

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { RecordRejectedError, SinkUnavailableError } from '../errors';
import { copyLine, hasNul } from './copy-text';
import type { PostgresTarget } from './postgres-connection';
import { rowErrorKind, sqlState, verdictOf } from './postgres-errors';
import type { Sink, SinkRow, WriteMode, WriteResult } from './sink';

/** The sink's columns, as in the SQLite sink; values are converted to the table's own types. */
const COLUMNS = [
  'topic',
  'partition',
  'offset',
  'key',
  'payload',
  'produced_at',
  'kafka_timestamp',
  'loaded_at',
  'run_id',
] as const;

/** The table the sink creates when it is missing (README, "Sinks", shows it). */
export function tableDdl(table: string): string {
  return `CREATE TABLE ${quoteTable(table)} (
  topic           text    NOT NULL,
  partition       integer NOT NULL,
  "offset"        bigint  NOT NULL,
  key             text,
  payload         jsonb,
  produced_at     bigint,
  kafka_timestamp bigint  NOT NULL,
  loaded_at       bigint  NOT NULL,
  run_id          text    NOT NULL,
  PRIMARY KEY (topic, partition, "offset")
)`;
}

const STAGING = 'microbatch_staging';
const STAGING_DDL = `CREATE TEMP TABLE ${STAGING} (ord integer, ${COLUMNS.map((c) => `"${c}" text`).join(', ')}) ON COMMIT DROP`;
const COPY_SQL = `COPY ${STAGING} (ord, ${COLUMNS.map((c) => `"${c}"`).join(', ')}) FROM STDIN`;

export interface PostgresSinkOptions {
  target: PostgresTarget;
  /** Table name, optionally schema-qualified (POSTGRES_TABLE). */
  table: string;
  writeMode: WriteMode;
  /** Most connections the pool opens (MAX_CONCURRENT_RUNS). */
  poolSize: number;
}

export class PostgresSink implements Sink {
  private readonly pool: pg.Pool;
  private prepared = false;

  constructor(private readonly options: PostgresSinkOptions) {
    this.pool = new pg.Pool({ ...options.target.options, max: options.poolSize, idleTimeoutMillis: 30_000 });
    // An idle pooled connection the server ends (a restart, pg_terminate_backend) is reported here;
    // without a listener Node would crash. The pool drops it, and the next write connects afresh.
    this.pool.on('error', () => undefined);
  }

  /**
   * Connects and creates the table if it is missing. Called at startup (src/sink/index.ts retries
   * it while the server is away) and by the first write if startup could not. The table is created
   * only then: one dropped later is a fault to fix, not a thing to paper over, so writes hold.
   */
  async prepare(): Promise<void> {
    await this.withClient(async (client) => {
      await this.prepareWith(client);
    });
  }

  async write(rows: SinkRow[]): Promise<WriteResult> {
    if (rows.length === 0) return { inserted: 0, alreadyPresent: 0 };
    rejectNul(rows);
    return this.withClient(async (client) => {
      if (!this.prepared) await this.prepareWith(client);
      await client.query('BEGIN');
      try {
        const casts = await this.columnCasts(client);
        await client.query(STAGING_DDL);
        await this.copy(client, rows);
        await client.query('SAVEPOINT staged');
        let inserted: number;
        try {
          inserted = await this.insert(client, casts);
        } catch (err) {
          if (verdictOf(err) !== 'row') throw err;
          await client.query('ROLLBACK TO SAVEPOINT staged');
          throw await this.findRefusedRows(client, casts, rows, err);
        }
        await client.query('COMMIT');
        return { inserted, alreadyPresent: rows.length - inserted };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Runs `work` on a pooled connection; a connection that failed is closed, not reused. */
  private async withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.translate(err);
    }
    // A connection lost while checked out is reported to its query and also emitted as an event
    // nobody else listens to, which would crash the worker: the query's error is the one we act on.
    const ignore = () => undefined;
    client.on('error', ignore);
    let broken = false;
    try {
      return await work(client);
    } catch (err) {
      broken = verdictOf(err) === 'outage';
      throw this.translate(err);
    } finally {
      client.off('error', ignore);
      client.release(broken);
    }
  }

  private async prepareWith(client: pg.PoolClient): Promise<void> {
    const { rows } = await client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [
      quoteTable(this.options.table),
    ]);
    if (!rows[0]!.present) {
      try {
        await client.query(tableDdl(this.options.table));
      } catch (err) {
        // Another worker created it between the check and the CREATE.
        if (sqlState(err) !== '42P07' && sqlState(err) !== '23505') throw err;
      }
    }
    this.prepared = true;
  }

  /**
   * `"col"::type` for each column, with the table's own types (a user may have made the table with
   * other types than ours), without their modifiers: a cast to varchar(10) would cut a longer
   * value, while the assignment the INSERT then makes refuses it, as it should.
   */
  private async columnCasts(client: pg.PoolClient): Promise<string[]> {
    const { rows } = await client.query<{ name: string; type: string }>(
      `SELECT attname AS name, format_type(atttypid, NULL) AS type FROM pg_attribute
       WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
      [quoteTable(this.options.table)],
    );
    const types = new Map(rows.map((r) => [r.name, r.type]));
    return COLUMNS.map((c) => {
      const type = types.get(c);
      if (!type) throw new Error(`table ${this.options.table} has no column ${c}`);
      return `s."${c}"::${type}`;
    });
  }

  private async copy(client: pg.PoolClient, rows: SinkRow[]): Promise<void> {
    const loadedAt = Date.now();
    async function* lines() {
      let chunk = '';
      for (const [i, row] of rows.entries()) {
        chunk += copyLine([
          i,
          row.topic,
          row.partition,
          row.offset,
          row.key,
          row.payload,
          row.producedAt,
          row.kafkaTimestamp,
          loadedAt,
          row.runId,
        ]);
        if (chunk.length >= 65_536) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    }
    await pipeline(Readable.from(lines()), client.query(copyFrom(COPY_SQL)));
  }

  /** Moves staged rows (those with `ord` in [from, to], or all) into the table; returns rows new to it. */
  private async insert(client: pg.PoolClient, casts: string[], range?: [number, number]): Promise<number> {
    const columns = COLUMNS.map((c) => `"${c}"`).join(', ');
    const onConflict =
      this.options.writeMode === 'replace'
        ? `DO UPDATE SET ${COLUMNS.slice(3)
            .map((c) => `"${c}" = EXCLUDED."${c}"`)
            .join(', ')}`
        : 'DO NOTHING';
    // xmax is 0 in a row this statement inserted, and set in one it updated: so replace mode can
    // tell rows new to the table from rows it overwrote.
    const { rows } = await client.query<{ inserted: number }>(
      `WITH written AS (
         INSERT INTO ${quoteTable(this.options.table)} AS t (${columns})
         SELECT ${casts.join(', ')} FROM ${STAGING} s
         ${range ? 'WHERE s.ord BETWEEN $1 AND $2' : ''} ORDER BY s.ord
         ON CONFLICT (topic, partition, "offset") ${onConflict}
         RETURNING (t.xmax = 0) AS fresh)
       SELECT count(*) FILTER (WHERE fresh)::int AS inserted FROM written`,
      range,
    );
    return rows[0]!.inserted;
  }

  /**
   * The batch's INSERT failed on some row: find every row it refuses by inserting halves of the
   * staged batch in savepoints, keeping what passes (so a row that clashes with an earlier one of
   * the same batch is the one named). The transaction is rolled back by the caller either way.
   * Returns the error to throw: the named rows, or the first error when no single row is to blame.
   */
  private async findRefusedRows(
    client: pg.PoolClient,
    casts: string[],
    rows: SinkRow[],
    first: unknown,
  ): Promise<Error> {
    const refused: RecordRejectedError[] = [];
    const search = async (from: number, to: number, knownToFail: boolean): Promise<void> => {
      if (!knownToFail) {
        await client.query('SAVEPOINT probe');
        try {
          await this.insert(client, casts, [from, to]);
          await client.query('RELEASE SAVEPOINT probe');
          return;
        } catch (err) {
          if (verdictOf(err) !== 'row') throw err;
          await client.query('ROLLBACK TO SAVEPOINT probe');
          await client.query('RELEASE SAVEPOINT probe');
          if (from === to) {
            refused.push(this.rejection(err, rows[from]!));
            return;
          }
        }
      }
      const middle = Math.floor((from + to) / 2);
      await search(from, middle, false);
      await search(middle + 1, to, false);
    };
    if (rows.length === 1) refused.push(this.rejection(first, rows[0]!));
    else await search(0, rows.length - 1, true);
    if (refused.length === 0) return this.translate(first);
    return refused.length === 1
      ? refused[0]!
      : new AggregateError(refused, `PostgreSQL refused ${refused.length} rows`);
  }

  private rejection(err: unknown, row: SinkRow): RecordRejectedError {
    const e = err as Error & { detail?: string };
    const text = this.options.target.redact(`${e.message}${e.detail ? ` (${e.detail})` : ''}`);
    return new RecordRejectedError(`${rowErrorKind(err)}: ${text}`, row.offset, rowErrorKind(err));
  }

  /** The contract's error for a failure that names no row; the password never leaves in a message. */
  private translate(err: unknown): Error {
    if (err instanceof RecordRejectedError || err instanceof AggregateError || err instanceof SinkUnavailableError) {
      return err;
    }
    const code = sqlState(err);
    const message = this.options.target.redact(
      `${this.options.target.description}: ${code ? `${code} ` : ''}${(err as Error).message}`,
    );
    if (verdictOf(err) === 'outage') return new SinkUnavailableError(message);
    return new Error(message);
  }
}

/** NUL cannot be stored in PostgreSQL text at all: such a row is bad data, found before sending. */
function rejectNul(rows: SinkRow[]): void {
  const refused: RecordRejectedError[] = [];
  for (const row of rows) {
    const column = hasNul(row.key) ? 'key' : hasNul(row.payload) ? 'payload' : hasNul(row.runId) ? 'run_id' : undefined;
    if (column) {
      const kind = `PostgreSQL 22021 in column ${column}`;
      refused.push(new RecordRejectedError(`${kind}: text cannot hold the character U+0000 (NUL)`, row.offset, kind));
    }
  }
  if (refused.length === 1) throw refused[0]!;
  if (refused.length > 1) throw new AggregateError(refused, `PostgreSQL cannot store ${refused.length} rows`);
}

/** `"schema"."table"` from a name validated by the config (letters, digits, underscores). */
export function quoteTable(table: string): string {
  return table
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}
