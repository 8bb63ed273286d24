// One scenario's own world: a topic, a consumer group, task queues and a sink file nobody else
// uses, and the worker settings (src/config.ts names) that point at them. The config the benchmark
// uses to start sensors is parsed from exactly the environment the worker process gets.

import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, type Config } from '../../src/config';

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
    KAFKA_FROM_BEGINNING: 'true',
    LOG_LEVEL: 'info',
    ...env,
  };
  return { name, env: full, config: loadConfig({ ...process.env, ...full }) };
}

/** Removes the scenario's sink file (and SQLite's WAL and shared-memory files beside it). */
export function removeSink(s: Scenario): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${s.config.sqlitePath}${suffix}`, { force: true });
}
