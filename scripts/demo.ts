// The demo's driver: starts `npm run worker` and `npm run producer` as child processes (their logs
// go to .data/logs/), prints the Web UI's address, and every two seconds what was produced, what
// the sink holds, the lag and the unfinished runs. Ctrl-C (or DEMO_SECONDS) stops both children
// gracefully: the worker finishes its in-flight work and leaves the consumer group.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { sensorWorkflowId } from '../src/batch';
import { loadConfigOrExit, type Config } from '../src/config';
import { createKafkaClient } from '../src/kafka/client';
import { topicLag } from '../src/kafka/lag';
import { createLogger } from '../src/logger';
import { countUnfinishedRuns } from '../src/runs';
import { connectAdmin, connectClient } from '../src/workers/connect';
import { sinkCounter } from './sink-reader';
import { describe } from '../src/workers/retry';
import { exitOnError } from '../src/workers/exit';

const LOG_DIR = '.data/logs';

function startChild(name: string, script: string): ChildProcess {
  mkdirSync(LOG_DIR, { recursive: true });
  const log = createWriteStream(`${LOG_DIR}/demo-${name}.log`, { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`${name} exited (${signal ?? `code ${code}`}); see ${LOG_DIR}/demo-${name}.log`);
  });
  return child;
}

let stopping = false;

/** Where Prometheus can scrape the worker (README, "Metrics and dashboards"). */
function metricsLine(config: Config): string {
  const url = (port: number) => `http://${config.metricsHost}:${port}/metrics`;
  const served = [
    config.metricsPort > 0 ? `pipeline ${url(config.metricsPort)}` : undefined,
    config.temporalMetricsPort > 0 ? `Temporal SDK ${url(config.temporalMetricsPort)}` : undefined,
  ].filter(Boolean);
  return served.length > 0
    ? `Metrics for Prometheus: ${served.join(', ')} (deploy/prometheus/prometheus.yml scrapes them)`
    : 'Metrics: off (METRICS_PORT=0 and TEMPORAL_METRICS_PORT=0)';
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
  });
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, 'demo');
  const seconds = Number(process.env.DEMO_SECONDS ?? 0);
  const admin = await connectAdmin(await createKafkaClient(config, logger), config, logger);
  const client = await connectClient(config, logger);

  const worker = startChild('worker', 'src/workers/main.ts');
  const producer = startChild('producer', 'scripts/producer.ts');
  const ui = `http://localhost:8233/namespaces/${config.temporalNamespace}/workflows`;
  console.log(`\nTemporal Web UI: ${ui}`);
  console.log(metricsLine(config));
  console.log(
    `Sensors: ${sensorWorkflowId(config.topic, config.groupId, 0)} … ${sensorWorkflowId(config.topic, config.groupId, config.sensorReplicas - 1)}; runs: microbatch-${config.topic}-p<partition>-<first>-<last>@${config.groupId}`,
  );
  console.log(
    `Producing ${config.desiredThroughputPerSecond} messages/s to "${config.topic}"; loading into ${sinkName(config)}; logs in ${LOG_DIR}/demo-*.log. Ctrl-C stops.\n`,
  );

  const finished = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    if (seconds > 0) setTimeout(resolve, seconds * 1000);
  });
  const sink = sinkCounter(config);
  let previous = { loaded: 0, at: Date.now() };
  const timer = setInterval(() => {
    void (async () => {
      const topics = await admin.listTopics();
      if (!topics.includes(config.topic)) return;
      const [lag, unfinished] = await Promise.all([
        topicLag(admin, config.groupId, config.topic),
        countUnfinishedRuns(client, config).catch(() => undefined),
      ]);
      const loaded = await sink.count(config.topic);
      const now = Date.now();
      const rate = ((loaded - previous.loaded) * 1000) / Math.max(1, now - previous.at);
      previous = { loaded, at: now };
      console.log(
        `${new Date().toISOString().slice(11, 19)}  produced ${lag.totalLogEnd}  loaded ${loaded} (${rate.toFixed(0)}/s)  lag ${lag.totalLag}  runs in flight ${unfinished ?? '?'}`,
      );
    })().catch((err) => console.error(`progress: ${describe(err)}`));
  }, 2_000);

  await finished;
  stopping = true;
  clearInterval(timer);
  console.log('\nstopping the producer and the worker (the worker finishes its in-flight runs)...');
  await stopChild(producer);
  await stopChild(worker);
  await sink.close();
  await admin.close();
  await client.connection.close();
  console.log('stopped. The servers keep running: `npm run infra:down` stops them.');
}

/** Where the rows go, in words a user can check (the password left out). */
function sinkName(config: Config): string {
  return config.sink === 'sqlite'
    ? `SQLite ${config.sqlitePath}`
    : `table ${config.postgresTable} of ${config.postgres!.description}`;
}

main().catch(exitOnError('demo'));
