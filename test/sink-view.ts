// The sink seen from outside, as a user would read it (sqlite3 shell, psql), for tests that run the
// pipeline in other processes or must read what the workers loaded: how many rows a topic has
// (scripts/sink-reader.ts's counter, which the demo also uses), and the rows themselves. The
// PostgreSQL reads go through a pool, so a server restarted under a test only costs one failed read.
//
// Neighbours: helpers.ts (sinkRows: the SQLite read), postgres.ts (a test's own database).

import pg from 'pg';
import type { Config } from '../src/config';
import { quoteTable } from '../src/sink/postgres-sink';
import { sinkCounter } from '../scripts/sink-reader';
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
  const counter = sinkCounter(config);
  const rows = config.sink === 'postgres' ? postgresRows(config) : undefined;
  return {
    count: () => counter.count(config.topic),
    rows: async () => (rows ? rows.read() : sinkRows(config)),
    async close() {
      await counter.close();
      await rows?.close();
    },
  };
}

function postgresRows(config: Config) {
  const pool = new pg.Pool({ ...config.postgres!.options, max: 1 });
  pool.on('error', () => undefined); // a restart ends the idle connection; the next read reconnects
  return {
    async read(): Promise<SinkViewRow[]> {
      const { rows } = await pool.query<SinkViewRow>(
        `SELECT partition, "offset"::int AS offset, payload::text AS payload FROM ${quoteTable(config.postgresTable)}
         WHERE topic = $1 ORDER BY partition, "offset"`,
        [config.topic],
      );
      return rows;
    },
    close: () => pool.end(),
  };
}
