// The sink seen from outside, as a user would read it (sqlite3 shell, psql), for tests that run the
// pipeline in other processes: how many rows a topic has, and the rows themselves. The PostgreSQL
// view reads through a pool, so a server restarted under a test only costs it one failed read.
//
// Neighbours: helpers.ts (sinkRows: the SQLite read), postgres.ts (a test's own database).

import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Config } from '../src/config';
import { quoteTable } from '../src/sink/postgres-sink';
import { sinkRows } from './helpers';

export type SinkKind = 'sqlite' | 'postgres';
/** Both sinks, for tests that run once against each (`describe.each(SINKS)`). */
export const SINKS: readonly SinkKind[] = ['sqlite', 'postgres'];

export interface SinkViewRow {
  partition: number;
  offset: number;
  payload: string | null;
}

export interface SinkView {
  /** Rows of the config's topic; 0 before the first worker created the table, or while unreachable. */
  count(): Promise<number>;
  /** Every row of the config's topic, by partition and offset (throws if the sink cannot be read). */
  rows(): Promise<SinkViewRow[]>;
  close(): Promise<void>;
}

export function sinkView(config: Config): SinkView {
  return config.sink === 'postgres' ? postgresView(config) : sqliteView(config);
}

function sqliteView(config: Config): SinkView {
  return {
    async count() {
      if (!existsSync(config.sqlitePath)) return 0;
      const db = new Database(config.sqlitePath, { readonly: true });
      try {
        db.pragma('busy_timeout = 5000');
        const row = db.prepare('SELECT COUNT(*) AS n FROM events WHERE topic = ?').get(config.topic) as { n: number };
        return row.n;
      } catch {
        return 0; // the table is created by the first worker; a busy file is read next time
      } finally {
        db.close();
      }
    },
    rows: async () => sinkRows(config),
    close: async () => undefined,
  };
}

function postgresView(config: Config): SinkView {
  const pool = new pg.Pool({ ...config.postgres!.options, max: 1 });
  pool.on('error', () => undefined); // a restart ends the idle connection; the next read reconnects
  const table = quoteTable(config.postgresTable);
  return {
    async count() {
      try {
        const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE topic = $1`, [
          config.topic,
        ]);
        return rows[0]!.n;
      } catch {
        return 0;
      }
    },
    async rows() {
      const { rows } = await pool.query<SinkViewRow>(
        `SELECT partition, "offset"::int AS offset, payload::text AS payload FROM ${table}
         WHERE topic = $1 ORDER BY partition, "offset"`,
        [config.topic],
      );
      return rows;
    },
    close: () => pool.end(),
  };
}
