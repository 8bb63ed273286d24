// One scenario's own world: a topic, a consumer group, task queues and a sink nobody else uses (a
// SQLite file, or with SINK=postgres a table of its own in the configured PostgreSQL database), and
// the worker settings (src/config.ts names) that point at them. The config the benchmark uses to
// start sensors is parsed from exactly the environment the worker process gets.

import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config';
import { quoteTable } from '../../src/sink/postgres-sink';

export interface Scenario {
  name: string;
  env: Record<string, string>;
  config: Config;
}

export function makeScenario(name: string, runDir: string, env: Record<string, string>): Scenario {
  const id = `bench-${name}-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  const full: Record<string, string> = {
    KAFKA_TOPIC: id,
    KAFKA_GROUP_ID: `${id}-group`,
    SENSOR_TASK_QUEUE: `${id}-sensor`,
    RUNS_TASK_QUEUE: `${id}-runs`,
    SQLITE_PATH: resolve(join(runDir, `${id}.sqlite`)),
    // Table names take lower-case letters, digits and _ only.
    POSTGRES_TABLE: id.toLowerCase().replace(/[^a-z0-9_]/g, '_'),
    KAFKA_FROM_BEGINNING: 'true',
    LOG_LEVEL: 'info',
    ...env,
  };
  return { name, env: full, config: loadConfig({ ...process.env, ...full }) };
}

/** Removes the scenario's sink: its SQLite file (with WAL and shared-memory files), or its table. */
export async function removeSink(s: Scenario): Promise<void> {
  if (s.config.sink === 'postgres') {
    const client = new pg.Client(s.config.postgres!.options);
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query(`DROP TABLE IF EXISTS ${quoteTable(s.config.postgresTable)}`);
    } finally {
      await client.end().catch(() => undefined);
    }
    return;
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${s.config.sqlitePath}${suffix}`, { force: true });
}
