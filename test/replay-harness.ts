// Shared pieces of the replay and reset tests: a transform whose version the test changes (a
// "fixed" transform), seeding a topic with known partitions and timestamps, reading the sink with
// the run that wrote each row, and running `npm run replay` / `npm run reset` as a user would.

import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import type { Config } from '../src/config';
import { transform, type SourceRecord, type TransformedRecord } from '../src/processing/transform';
import { testProducer, type Servers } from './helpers';

/** The default transform, stamping each row with the version current when it ran. */
export function versionedTransform(): { transform: (r: SourceRecord) => TransformedRecord; set(v: number): void } {
  let version = 1;
  return {
    transform: (record) => {
      const out = transform(record);
      return { ...out, payload: { ...(out.payload as object), v: version } };
    },
    set: (v) => void (version = v),
  };
}

/** Writes `perPartition` records to each of `partitions`, record i stamped `baseMs + i * stepMs`. */
export async function seed(
  servers: Pick<Servers, 'kafka'>,
  topic: string,
  partitions: number,
  perPartition: number,
  baseMs = Date.now(),
  stepMs = 0,
): Promise<void> {
  const producer = testProducer(servers.kafka);
  try {
    for (let partition = 0; partition < partitions; partition++) {
      await producer.send(
        topic,
        Array.from({ length: perPartition }, (_, i) => ({
          partition,
          key: `k-${partition}-${i}`,
          value: JSON.stringify({ seq: partition * 1000 + i }),
          timestamp: String(baseMs + i * stepMs),
        })),
      );
    }
  } finally {
    await producer.close();
  }
}

export interface SinkRow {
  partition: number;
  offset: number;
  v: number;
  runId: string;
}

/** The test's rows in the SQLite sink, with the transform version and the run that wrote each. */
export function rowsWithRuns(config: Config): SinkRow[] {
  const db = new Database(config.sqlitePath, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare('SELECT partition, "offset", payload, run_id FROM events WHERE topic = ? ORDER BY partition, "offset"')
      .all(config.topic) as Array<{ partition: number; offset: number; payload: string; run_id: string }>;
    return rows.map((r) => ({
      partition: r.partition,
      offset: r.offset,
      v: (JSON.parse(r.payload) as { v: number }).v,
      runId: r.run_id,
    }));
  } finally {
    db.close();
  }
}

/** The settings a command run for the test needs: the test's topic, group, queues, batch size. */
export function envOf(config: Config): Record<string, string> {
  return {
    KAFKA_TOPIC: config.topic,
    KAFKA_GROUP_ID: config.groupId,
    SENSOR_TASK_QUEUE: config.sensorTaskQueue,
    RUNS_TASK_QUEUE: config.runsTaskQueue,
    MAX_BATCH_SIZE: String(config.maxBatchSize),
    MAX_IN_FLIGHT_RUNS: String(config.maxInFlightRuns),
    SINK_WRITE_MODE: config.sinkWriteMode,
    SENSOR_REPLICAS: String(config.sensorReplicas),
    LOG_LEVEL: 'warn',
  };
}

export interface CommandRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `scripts/<name>.ts` with `args`, as `npm run <name> -- args` would. `interruptWhen`: sends
 * SIGINT (Ctrl-C) once the output so far matches it.
 */
export function runCommand(
  name: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
  interruptWhen?: RegExp,
) {
  return new Promise<CommandRun>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `scripts/${name}.ts`, ...args], {
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (interruptWhen?.test(stdout) && !interrupted) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (c: Buffer) => void (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
