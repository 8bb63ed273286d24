// Reads the sink from the outside while workers write to it. SinkReader reads the SQLite file
// read-only (WAL mode lets it): how many rows are in, when the last one landed, and end-to-end
// latency (loaded_at - produced_at, both stamped by this machine's clock), for the benchmark.
// sinkCounter counts rows in whichever sink SINK names, and tells when they landed, for `npm run
// demo` and the benchmark's drains.

import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import pg from 'pg';
import type { Config } from '../src/config';
import { quoteTable } from '../src/sink/postgres-sink';

/** Counts the rows of one topic in the configured sink; 0 before the table exists. */
export interface SinkCounter {
  count(topic: string): Promise<number>;
  /** When the first and the last row of the sink were loaded (ms since the epoch). */
  loadedRange(): Promise<{ first: number; last: number }>;
  close(): Promise<void>;
}

export function sinkCounter(config: Config): SinkCounter {
  if (config.sink === 'sqlite') {
    const reader = new SinkReader(config.sqlitePath);
    return {
      count: async (topic) => reader.count(topic),
      loadedRange: async () => reader.loadedRange(),
      close: async () => reader.close(),
    };
  }
  const pool = new pg.Pool({ ...config.postgres!.options, max: 1 });
  pool.on('error', () => undefined); // a server restart ends the idle connection; the next count reconnects
  const table = quoteTable(config.postgresTable);
  return {
    async count(topic) {
      try {
        const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE topic = $1`, [
          topic,
        ]);
        return rows[0]!.n;
      } catch {
        return 0;
      }
    },
    async loadedRange() {
      const { rows } = await pool.query<{ first: string; last: string }>(
        `SELECT min(loaded_at) AS first, max(loaded_at) AS last FROM ${table}`,
      );
      return { first: Number(rows[0]!.first), last: Number(rows[0]!.last) };
    },
    close: () => pool.end(),
  };
}

export class SinkReader {
  private db: Database.Database | undefined;

  constructor(readonly path: string) {}

  private open(): Database.Database | undefined {
    if (!this.db && existsSync(this.path)) {
      try {
        this.db = new Database(this.path, { readonly: true, fileMustExist: true, timeout: 5_000 });
      } catch {
        return undefined;
      }
    }
    return this.db;
  }

  /** Rows loaded so far, of one topic or of all (0 before the writer has created the table). */
  count(topic?: string): number {
    try {
      const db = this.open();
      const row = (
        topic === undefined
          ? db?.prepare('SELECT count(*) AS n FROM events').get()
          : db?.prepare('SELECT count(*) AS n FROM events WHERE topic = ?').get(topic)
      ) as { n: number } | undefined;
      return row?.n ?? 0;
    } catch {
      return 0;
    }
  }

  /** When the first and the last row were loaded (ms since the epoch). */
  loadedRange(): { first: number; last: number } {
    const r = this.open()!.prepare('SELECT min(loaded_at) AS first, max(loaded_at) AS last FROM events').get() as {
      first: number;
      last: number;
    };
    return r;
  }

  /** Latency percentiles in ms over rows whose record said when it was produced. */
  latency(percentiles: number[]): Record<string, number> {
    const values = (
      this.open()!
        .prepare('SELECT loaded_at - produced_at AS l FROM events WHERE produced_at IS NOT NULL')
        .raw()
        .all() as number[][]
    )
      .map((r) => r[0]!)
      .sort((a, b) => a - b);
    const out: Record<string, number> = {};
    for (const p of percentiles)
      out[`p${p}`] =
        values.length === 0 ? NaN : values[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)]!;
    out.max = values[values.length - 1] ?? NaN;
    return out;
  }

  /** Every row's load time and latency (ms), for latency over time (scripts/bench/timeline.ts). */
  latencies(): Array<{ loadedAt: number; latencyMs: number }> {
    return this.open()!
      .prepare(
        'SELECT loaded_at AS loadedAt, loaded_at - produced_at AS latencyMs FROM events WHERE produced_at IS NOT NULL',
      )
      .all() as Array<{ loadedAt: number; latencyMs: number }>;
  }

  /** Every row's run and times (ms), for the latency stages (scripts/bench/latency-stages.ts). */
  rowTimes(): Array<{ runId: string; producedAt: number; loadedAt: number }> {
    return this.open()!
      .prepare(
        'SELECT run_id AS runId, produced_at AS producedAt, loaded_at AS loadedAt FROM events WHERE produced_at IS NOT NULL',
      )
      .all() as Array<{ runId: string; producedAt: number; loadedAt: number }>;
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}
