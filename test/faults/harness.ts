// One fault scenario: a topic, group, task queues and sink of its own on the fault tests' servers
// (a SQLite file, or a database of its own on their PostgreSQL); real worker processes
// (processes.ts) configured through the same environment variables a user sets; a producer writing
// a known set of messages at a steady rate; and the checks every fault test ends with: the sink
// holds exactly the produced (partition, offset) pairs and sequence numbers, lag is back to 0, no
// MicroBatchRun failed and nothing was dead-lettered (a fault is an outage, never bad data).
//
// Neighbours: servers.ts (the second set of servers), processes.ts (worker processes),
// ../helpers.ts (shared with the integration tests), ../sink-view.ts (reading either sink).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, onTestFailed } from 'vitest';
import { loadConfig, type Config } from '../../src/config';
import { topicLag } from '../../src/kafka/lag';
import { RateProducer, type ProducerStats } from '../../src/producer/rate-producer';
import { countUnfinishedRuns, runsQuery } from '../../src/runs';
import { MessageCount } from '../../src/search-attributes';
import { runningSensorIds } from '../../src/workers/sensors';
import type { Client } from '@temporalio/client';
import { createKafkaClient } from '../../src/kafka/client';
import type { KafkaAdmin, KafkaClient } from '../../src/kafka/port';
import { connectAdmin, connectClient } from '../../src/workers/connect';
import { logger, uniqueName } from '../helpers';
import { createTestDatabase, type TestDatabase } from '../postgres';
import { sinkView, type SinkKind, type SinkView } from '../sink-view';
import { forgetWorkers, killAllWorkers, printWorkerLogs, startWorker, type WorkerProcess } from './processes';
import { faultDataDir, faultServers } from './servers';

/** Settings every scenario's workers share; a test may override any of them. */
const BASE_SETTINGS: Record<string, string> = {
  KAFKA_TOPIC_PARTITIONS: '6',
  SENSOR_REPLICAS: '2',
  MAX_BATCH_SIZE: '500',
  MAX_BATCH_WAIT: '300ms',
  MAX_SENSOR_TICK_RUNTIME: '10s',
  TIME_BETWEEN_SENSOR_TICKS: '500ms',
  RUN_RETRY_INITIAL_INTERVAL: '100ms',
  LOG_LEVEL: 'info',
};

export interface Timeline {
  /** Milliseconds since the producer started, by event name, for the report. */
  [event: string]: number;
}

/** Every fault test: lag (commits follow run starts) must be back to 0 within this of the fault's end. */
export const LAG_BOUND_MS = 120_000;
/**
 * And the sink complete within this. A process-batch activity whose result was lost (its worker was
 * killed, or Temporal was away when it finished) is retried only after its 2-minute start-to-close
 * timeout (src/workflows/micro-batch-run.ts), so the sink may trail lag by that much.
 */
export const SINK_BOUND_MS = 180_000;

/** The end of every fault test: exactly the produced messages in the sink, recovered in time. */
export function expectExactlyOnce(figures: Figures & { problems: string[] }, recovery: Recovery): void {
  expect(figures.problems).toEqual([]);
  expect(figures.rowsInSink).toBe(figures.messages);
  expect(recovery.lagMs ?? Infinity, 'ms until lag was back to 0').toBeLessThan(LAG_BOUND_MS);
  expect(recovery.sinkMs ?? Infinity, 'ms until the sink was complete').toBeLessThan(SINK_BOUND_MS);
}

/** Milliseconds from the end of a fault until the sink was complete and lag was 0. */
export interface Recovery {
  sinkMs?: number;
  lagMs?: number;
}

export interface Figures {
  messages: number;
  rowsInSink: number;
  missing: number;
  duplicated: number;
  /** Messages carried by more than one run (re-read after a fault); the sink key absorbs them. */
  reRun: number;
  /** Records in the dead-letter topic: a fault must put none there. */
  deadLettered: number;
  runs: number;
  failedRuns: number;
}

/** The test's own connections: no worker runs in the test process, so no NativeConnection. */
export interface Servers {
  kafka: KafkaClient;
  admin: KafkaAdmin;
  client: Client;
  close(): Promise<void>;
}

async function connectServers(config: Config): Promise<Servers> {
  const kafka = await createKafkaClient(config, logger);
  const admin = await connectAdmin(kafka, config, logger);
  const client = await connectClient(config, logger);
  return {
    kafka,
    admin,
    client,
    async close() {
      await admin.close();
      await client.connection.close();
    },
  };
}

export class FaultScenario {
  readonly config: Config;
  readonly logDir: string;
  readonly timeline: Timeline = {};
  private producerStartedAt = 0;
  private workerCount = 0;

  private readonly sink: SinkView;

  private constructor(
    readonly name: string,
    readonly env: Record<string, string>,
    readonly servers: Servers,
    private readonly database: TestDatabase | undefined,
  ) {
    this.config = loadConfig(env);
    this.logDir = join(faultDataDir, 'tests', name);
    this.sink = sinkView(this.config);
  }

  /**
   * Names, topic, sink and connections for one test; close() releases them. With the postgres sink
   * the workers write into a database of the test's own on the fault tests' PostgreSQL.
   */
  static async create(
    label: string,
    overrides: Record<string, string> = {},
    sink: SinkKind = 'sqlite',
  ): Promise<FaultScenario> {
    forgetWorkers();
    const name = uniqueName(label);
    const dir = join(faultDataDir, 'tests', name);
    mkdirSync(dir, { recursive: true });
    const database = sink === 'postgres' ? await createTestDatabase(faultServers.databaseUrl) : undefined;
    const env: Record<string, string> = {
      ...BASE_SETTINGS,
      KAFKA_BROKERS: faultServers.kafkaBrokers,
      TEMPORAL_ADDRESS: faultServers.temporalAddress,
      KAFKA_TOPIC: name,
      KAFKA_GROUP_ID: `${name}-group`,
      SENSOR_TASK_QUEUE: `${name}-sensor`,
      RUNS_TASK_QUEUE: `${name}-runs`,
      SINK: sink,
      SQLITE_PATH: join(dir, 'sink.sqlite'),
      ...(database ? { DATABASE_URL: database.url } : {}),
      // Several workers run at once on this machine: one metrics port each would collide.
      METRICS_PORT: '0',
      TEMPORAL_METRICS_PORT: '0',
      // The Kafka client library under test (its workers get it too: startWorker passes this env).
      ...(process.env.KAFKA_CLIENT ? { KAFKA_CLIENT: process.env.KAFKA_CLIENT } : {}),
      ...overrides,
    };
    const config = loadConfig(env);
    const servers = await connectServers(config);
    await servers.admin.ensureTopic(config.topic, config.topicPartitions);
    await servers.admin.ensureTopic(config.dlqTopic, 1);
    return new FaultScenario(name, env, servers, database);
  }

  /** Starts `npm run worker` with this scenario's settings plus `extra` (e.g. SENSOR_REPLICAS). */
  startWorker(extra: Record<string, string> = {}): WorkerProcess {
    const label = `worker-${++this.workerCount}`;
    // The parent's environment minus our settings' names, so nothing of the developer's leaks in.
    const inherited = { ...process.env };
    for (const key of Object.keys(inherited))
      if (/^(KAFKA|TEMPORAL|SENSOR|RUNS|MAX|SQLITE|SINK|METRICS|POSTGRES|PG)_|^(SINK|DATABASE_URL)$/.test(key))
        delete inherited[key];
    return startWorker(label, this.logDir, { ...inherited, ...this.env, ...extra });
  }

  /** Starts producing `count` messages at `ratePerSecond`; `sent()` tells how far it is. */
  produce(count: number, ratePerSecond: number): { done: Promise<ProducerStats>; sent: () => number } {
    let sent = 0;
    const producer = new RateProducer(this.servers.kafka, {
      topic: this.config.topic,
      ratePerSecond,
      count,
      messageBytes: 200,
      idempotent: true,
    });
    this.producerStartedAt = Date.now();
    const done = producer
      .run((s) => void (sent = s.sent))
      .then((stats) => {
        sent = stats.sent;
        this.mark('producer done');
        return stats;
      });
    return { done, sent: () => sent };
  }

  /** Records when something happened, in seconds since the producer started. */
  mark(event: string): number {
    const at = Date.now();
    this.timeline[event] = at - this.producerStartedAt;
    return at;
  }

  /** Rows in the sink for this topic (0 before the first worker created the table). */
  sinkCount(): Promise<number> {
    return this.sink.count();
  }

  async waitForSinkRows(atLeast: number, timeoutMs = 60_000): Promise<void> {
    await waitUntil(`${atLeast} rows in the sink`, async () => (await this.sinkCount()) >= atLeast, timeoutMs);
  }

  async totalLag(): Promise<number> {
    return (await topicLag(this.servers.admin, this.config.groupId, this.config.topic)).totalLag;
  }

  /**
   * Waits until the sink holds `messages` rows and the group's lag is 0, for at most `timeoutMs`
   * from `since`; returns how long each took from `since` (undefined if it did not happen). Stops
   * early when lag is 0 and no run is left unfinished, yet rows are missing: nothing can bring them.
   */
  async waitForRecovery(messages: number, since: number, timeoutMs: number): Promise<Recovery> {
    let sinkMs: number | undefined;
    let lagMs: number | undefined;
    let idleChecks = 0;
    while ((sinkMs === undefined || lagMs === undefined) && Date.now() < since + timeoutMs) {
      if (sinkMs === undefined && (await this.sinkCount()) >= messages) sinkMs = Date.now() - since;
      const lag = await topicLag(this.servers.admin, this.config.groupId, this.config.topic).catch(() => undefined);
      // Lag is 0 only once everything was produced: an early 0 between bursts does not count.
      if (lagMs === undefined && lag?.totalLag === 0 && lag.totalLogEnd >= messages) lagMs = Date.now() - since;
      if (lagMs !== undefined && sinkMs === undefined) {
        const unfinished = await countUnfinishedRuns(this.servers.client, this.config).catch(() => 1);
        // Visibility lags a little behind: believe "none left" only when seen a few times.
        idleChecks = unfinished === 0 ? idleChecks + 1 : 0;
        if (idleChecks >= 6) break;
      }
      await sleepMs(500);
    }
    this.mark('recovered');
    return { sinkMs, lagMs };
  }

  /**
   * The exactly-once check: per partition the sink's offsets are exactly 0..logEnd-1, the topic
   * holds exactly `messages` records, and their sequence numbers are exactly 0..messages-1.
   */
  async figures(messages: number): Promise<Figures & { problems: string[] }> {
    const problems: string[] = [];
    const rows = await this.sink.rows();
    const lag = await topicLag(this.servers.admin, this.config.groupId, this.config.topic);
    if (lag.totalLogEnd !== messages) problems.push(`the topic holds ${lag.totalLogEnd} records, not ${messages}`);

    let missing = 0;
    for (const p of lag.partitions) {
      const have = new Set(rows.filter((r) => r.partition === p.partition).map((r) => r.offset));
      const end = Number(p.logEnd);
      let gaps = 0;
      for (let o = 0; o < end; o++) if (!have.has(o)) gaps++;
      const beyond = [...have].filter((o) => o < 0 || o >= end).length;
      if (gaps > 0) problems.push(`partition ${p.partition}: ${gaps} of ${end} offsets missing from the sink`);
      if (beyond > 0) problems.push(`partition ${p.partition}: ${beyond} rows beyond the log end ${end}`);
      missing += gaps;
    }

    const seen = new Map<number, number>();
    for (const r of rows) {
      const seq = (JSON.parse(r.payload ?? '{}') as { seq?: number }).seq ?? -1;
      seen.set(seq, (seen.get(seq) ?? 0) + 1);
    }
    let duplicated = 0;
    for (const n of seen.values()) duplicated += n - 1;
    let missingSeqs = 0;
    for (let s = 0; s < messages; s++) if (!seen.has(s)) missingSeqs++;
    const strange = [...seen.keys()].filter((s) => !(s >= 0 && s < messages)).length;
    if (missingSeqs > 0) problems.push(`${missingSeqs} sequence numbers of 0..${messages - 1} missing`);
    if (duplicated > 0) problems.push(`${duplicated} sequence numbers loaded more than once`);
    if (strange > 0) problems.push(`${strange} rows whose sequence number is not in 0..${messages - 1}`);

    const runs = await this.runFigures();
    if (runs.failedRuns > 0) problems.push(`${runs.failedRuns} MicroBatchRun workflows failed`);
    const deadLettered = (await this.servers.admin.partitionBounds(this.config.dlqTopic)).reduce(
      (sum, p) => sum + Number(p.high) - Number(p.low),
      0,
    );
    if (deadLettered > 0) problems.push(`${deadLettered} records dead-lettered`);
    return {
      messages,
      rowsInSink: rows.length,
      missing: Math.max(missing, missingSeqs),
      duplicated,
      deadLettered,
      ...runs,
      reRun: Math.max(0, runs.carried - messages),
      problems,
    };
  }

  private async runFigures(): Promise<{ runs: number; carried: number; failedRuns: number }> {
    const { client } = this.servers;
    let runs = 0;
    let carried = 0;
    for await (const wf of client.workflow.list({ query: runsQuery(this.config) })) {
      runs++;
      carried += wf.typedSearchAttributes.get(MessageCount) ?? 0;
    }
    const failedRuns = (await client.workflow.count(runsQuery(this.config, 'Failed'))).count;
    return { runs, carried, failedRuns };
  }

  /** One line for the test output: what was measured. */
  report(fault: string, figures: Figures, recovery: Recovery, from: string): string {
    const t = Object.entries(this.timeline)
      .map(([event, ms]) => `${event} ${(ms / 1000).toFixed(1)}s`)
      .join(', ');
    const seconds = (ms?: number) => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`);
    const line =
      `[fault] ${fault}: ${figures.messages} messages, ${figures.rowsInSink} rows, missing ${figures.missing}, ` +
      `duplicated ${figures.duplicated}, dead-lettered ${figures.deadLettered}, re-run by a second run ${figures.reRun} (in ${figures.runs} runs, ` +
      `${figures.failedRuns} failed); recovered ${from}: sink complete in ${seconds(recovery.sinkMs)}, ` +
      `lag 0 in ${seconds(recovery.lagMs)}. Timeline: ${t}`;
    console.log(line);
    return line;
  }

  /** Ends the sensors (the workers are gone by now) and closes the connections. */
  async close(): Promise<void> {
    const { client } = this.servers;
    const ids = await runningSensorIds(client, this.config).catch(() => []);
    await Promise.all(
      ids.map((id) =>
        client.workflow
          .getHandle(id)
          .terminate('fault test finished')
          .catch(() => undefined),
      ),
    );
    await this.servers.close().catch(() => undefined);
    await this.sink.close().catch(() => undefined);
    await this.database?.drop().catch(() => undefined);
  }
}

/** Polls `check` until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleepMs(250);
  }
}

function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * For a fault test file, at top level: returns `scenario(label, overrides, sink)`, which a test calls
 * to get its scenario. After each test its workers are killed and its scenario closed; a failing
 * test prints the workers' logs.
 */
export function scenarioPerTest(): (
  label: string,
  overrides?: Record<string, string>,
  sink?: SinkKind,
) => Promise<FaultScenario> {
  let current: FaultScenario | undefined;
  afterEach(async () => {
    await killAllWorkers();
    await current?.close();
    current = undefined;
  });
  return async (label, overrides, sink) => {
    onTestFailed(() => printWorkerLogs());
    current = await FaultScenario.create(label, overrides, sink);
    return current;
  };
}
