// `npm run bench`: measures the pipeline against its ceiling, in one run, on this machine and the
// same data. Per repeat: a topic is pre-filled with M messages for each scenario (same messages,
// same keys, so the same partitions); a bare consumer of each Kafka client reads it (read only),
// and one of the reference client writes it into the sink (the ceiling); the pipeline drains its
// own copy from a fresh group, once per variant (each other client is a variant); a worker is
// launched on a backlog and timed to its first row; opt-in, the drain at more partitions and with
// two worker processes (scale). Then a steady-state run: a producer at a fixed rate, end-to-end
// latency and lag; and the idle cost: what sensors on an empty topic cost Temporal per hour.
// Prints a table and writes JSON and SVG charts to bench-results/ (`npm run bench:charts` redraws
// the charts of a JSON). docs/BENCHMARKS.md shows the latest table and charts and how to read them.
//
// Parameters (env or flag; `npm run bench -- --help`):
//   BENCH_MESSAGES        --messages        messages per pre-filled topic (500000)
//   BENCH_PARTITIONS      --partitions      partitions of every benchmark topic (6)
//   BENCH_MESSAGE_BYTES   --message-bytes   JSON value size, bytes (200)
//   BENCH_PADDING         --padding         values padded with words (realistic) or repeat (xxx…) (words)
//   BENCH_REPEATS         --repeats         repeats of ceiling + drains (3)
//   BENCH_STEADY_RATE     --steady-rate     steady-state producer rate, msg/s (10000)
//   BENCH_STEADY_SECONDS  --steady-seconds  steady-state duration, s (60)
//   BENCH_IDLE_SECONDS    --idle-seconds    idle-cost window, s (60)
//   BENCH_SCENARIOS       --scenarios       any of ceiling,drain,steady,cost,idle,launch,scale (all but scale)
//   BENCH_WORKER_ENV      --worker-env      settings for every worker: "MAX_BATCH_SIZE=1000,SENSOR_REPLICAS=2"
//   BENCH_VARIANTS        --variants        drain variants "name:KEY=V,KEY=V;name2:..." (baseline)
//   BENCH_SINK            --sink            ceiling and drains into sqlite, postgres or both (sqlite)
//   BENCH_CLIENTS         --clients         Kafka clients compared, the first the reference (kafkajs,platformatic)
//   BENCH_PROFILE         --profile         CPU-profile the first drain's worker (false)
//   BENCH_DRAIN_TIMEOUT   --drain-timeout   seconds before a drain counts as failed (900)
//   BENCH_OUT_DIR         --out-dir         results directory (bench-results)
// A quick run: npm run bench -- --messages 20000 --repeats 1 --steady-seconds 20 --steady-rate 2000
//
// Neighbours: scripts/bench/ holds one module per job (params, topics, ceiling, drain, launch, scale,
// steady, temporal-cost, proc, worker-process, profile-summary, report, charts).

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config';
import { exitOnError, isSettingError } from '../src/workers/exit';
import { createKafkaClient } from '../src/kafka/client';
import { createLogger } from '../src/logger';
import { openSink, type Sink } from '../src/sink';
import { SqliteSink } from '../src/sink/sqlite-sink';
import { connectAdmin, installTemporalLogger } from '../src/workers/connect';
import { runCeiling } from './bench/ceiling';
import { runDrain, type ProfileWindow } from './bench/drain';
import { runLaunch } from './bench/launch';
import { renderScale, runScale } from './bench/scale';
import { writeCharts } from './bench/chart-files';
import { BenchParamError, parseParams, type BenchParams } from './bench/params';
import { renderProfile, summarizeProfiles } from './bench/profile-summary';
import { renderTable, renderTargets, summarize, type RepeatResult } from './bench/report';
import { makeScenario, removeSink, type Scenario } from './bench/scenario';
import { drainKey, sinkEnv } from './bench/sinks';
import { runIdle, type IdleResult } from './bench/idle';
import { runSteady, type SteadyResult } from './bench/steady';
import { deleteTopics, prefill } from './bench/topics';

const logger = createLogger('info', 'bench');

async function main(): Promise<void> {
  let params: BenchParams;
  try {
    params = parseParams(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof BenchParamError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
  installTemporalLogger('warn');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const runDir = join(params.outDir, stamp);
  mkdirSync(runDir, { recursive: true });
  const common = { KAFKA_TOPIC_PARTITIONS: String(params.partitions), ...params.workerEnv };
  const baseConfig = loadConfig({ ...process.env, ...common });
  const kafka = await createKafkaClient(baseConfig, logger);
  const admin = await connectAdmin(kafka, baseConfig, logger);

  /** A scenario's topic filled with the benchmark's M messages. */
  const filledScenario = async (
    name: string,
    env: Record<string, string>,
  ): Promise<{ s: Scenario; prefillSeconds: number }> => {
    const s = makeScenario(name, runDir, { ...common, ...env });
    await admin.ensureTopic(s.config.topic, params.partitions);
    const prefillSeconds = await prefill(kafka, s.config.topic, params.messages, params.messageBytes, params.padding);
    logger.info(`pre-filled ${s.config.topic} with ${params.messages} messages in ${prefillSeconds.toFixed(1)}s`);
    return { s, prefillSeconds };
  };
  const cleanUp = async (s: Scenario) => {
    await deleteTopics(admin, [s.config.topic, s.config.dlqTopic]);
    await removeSink(s);
  };

  const repeats: RepeatResult[] = [];
  let steady: SteadyResult | undefined;
  let idle: IdleResult | undefined;
  let profile: string | undefined;
  let profileWindow: ProfileWindow | undefined;
  try {
    for (let r = 0; r < params.repeats; r++) {
      const result: RepeatResult = { prefillSeconds: 0, drains: {} };
      repeats.push(result);
      if (params.scenarios.has('ceiling')) {
        const { s, prefillSeconds } = await filledScenario('ceiling', {});
        result.prefillSeconds = prefillSeconds;
        try {
          const base = {
            topic: s.config.topic,
            messages: params.messages,
            maxBatchSize: s.config.maxBatchSize,
            maxBatchBytes: s.config.maxBatchBytes,
            timeoutMs: params.drainTimeoutSeconds * 1000,
          };
          // Each client reads the same topic bare, in its own group: the clients' own speed.
          result.ceilingReads = {};
          for (const client of params.clients) {
            const reader = await createKafkaClient({ ...baseConfig, kafkaClient: client }, logger);
            const read = await runCeiling(reader, { ...base, groupId: `${s.config.groupId}-read-${client}` });
            result.ceilingReads[client] = read;
            logger.info(`repeat ${r + 1}: ceiling read only [${client}] ${read.messagesPerSecond.toFixed(0)} msg/s`);
          }
          for (const sink of params.sinks) {
            // Each sink's ceiling reads the same topic; a scenario of its own names its file or table.
            const into = makeScenario(`ceiling-${sink}`, runDir, { ...common, ...sinkEnv(sink) });
            try {
              const ceiling = await runCeiling(kafka, {
                ...base,
                groupId: `${s.config.groupId}-${sink}`,
                sink: await ceilingSink(into.config, logger),
              });
              result[sink === 'postgres' ? 'ceilingPostgres' : 'ceiling'] = ceiling;
              logger.info(
                `repeat ${r + 1}: ceiling [${params.clients[0]}] → ${sink} ${ceiling.messagesPerSecond.toFixed(0)} msg/s`,
              );
            } finally {
              await removeSink(into);
            }
          }
        } finally {
          await cleanUp(s);
        }
      }
      if (params.scenarios.has('drain')) {
        // Every variant into every sink. Rotate the order across repeats, so no drain always runs
        // first (or last) on a warm box.
        const drains = params.sinks.flatMap((sink) => params.variants.map((variant) => ({ variant, sink })));
        const order = drains.map((_, i) => drains[(i + r) % drains.length]!);
        for (const { variant, sink } of order) {
          const key = drainKey(variant.name, sink);
          const { s } = await filledScenario(`drain-${variant.name}-${sink}`, { ...sinkEnv(sink), ...variant.env });
          const profileDir =
            params.profile && !profile && variant === params.variants[0] && sink === params.sinks[0]
              ? join(runDir, 'profile')
              : undefined;
          try {
            const { window, ...drain } = await runDrain(s, logger, {
              messages: params.messages,
              timeoutMs: params.drainTimeoutSeconds * 1000,
              logFile: join(runDir, `${s.name}-r${r + 1}.worker.log`),
              cpuProfileDir: profileDir,
              measureCost: params.scenarios.has('cost'),
            });
            result.drains[key] = drain;
            if (profileDir) profileWindow = window;
            logger.info(
              `repeat ${r + 1}: drain [${key}] ${drain.messagesPerSecond.toFixed(0)} msg/s in ${drain.seconds.toFixed(1)}s`,
              {
                firstRowSeconds: drain.firstRowSeconds.toFixed(1),
                afterFirstRowPerSecond: drain.afterFirstRowPerSecond.toFixed(0),
                roundTripsPerBatch: drain.cost?.perBatch.roundTrips.toFixed(1),
                peakRssMiB: drain.workerPeakRssMiB.toFixed(0),
              },
            );
          } finally {
            await cleanUp(s);
          }
          if (profileDir) {
            profile = renderProfile(summarizeProfiles(profileDir, profileWindow));
            logger.info(`profile of the [${key}] drain's worker:\n${profile}`);
          }
        }
      }
      if (params.scenarios.has('scale')) {
        result.scale = await runScale(
          {
            kafka,
            admin,
            logger,
            runDir,
            ...params,
            env: { ...common, ...params.variants[0]!.env, ...sinkEnv(params.sinks[0]!) },
            timeoutMs: params.drainTimeoutSeconds * 1000,
          },
          r,
        );
      }
      if (params.scenarios.has('launch')) {
        const { s } = await filledScenario('launch', { ...params.variants[0]!.env, ...sinkEnv(params.sinks[0]!) });
        try {
          result.launch = await runLaunch(s, admin, logger, {
            timeoutMs: params.drainTimeoutSeconds * 1000,
            logFile: join(runDir, `launch-r${r + 1}.worker.log`),
          });
          logger.info(`repeat ${r + 1}: first row ${result.launch.firstRowSeconds.toFixed(2)}s after npm run worker`, {
            bundleCache: result.launch.bundleCache,
            ...result.launch.steps,
          });
        } finally {
          await cleanUp(s);
        }
      }
    }
    if (params.scenarios.has('steady')) {
      // Steady state reads latency from the SQLite file (scripts/bench/steady.ts): always that sink.
      const s = makeScenario('steady', runDir, { ...common, ...params.variants[0]!.env, ...sinkEnv('sqlite') });
      await admin.ensureTopic(s.config.topic, params.partitions);
      try {
        steady = await runSteady(s, kafka, admin, logger, {
          rate: params.steadyRate,
          seconds: params.steadySeconds,
          messageBytes: params.messageBytes,
          logFile: join(runDir, 'steady.worker.log'),
        });
      } finally {
        await cleanUp(s);
      }
    }
    if (params.scenarios.has('idle')) {
      const s = makeScenario('idle', runDir, { ...common, ...params.variants[0]!.env });
      await admin.ensureTopic(s.config.topic, params.partitions);
      try {
        idle = await runIdle(s, logger, { seconds: params.idleSeconds, logFile: join(runDir, 'idle.worker.log') });
      } finally {
        await cleanUp(s);
      }
    }
  } finally {
    await admin.close();
  }

  const reference = makeScenario('reference', runDir, { ...common, ...params.variants[0]!.env }).config;
  const { rows, targets } = summarize(
    repeats,
    params.sinks.flatMap((sink) => params.variants.map((v) => drainKey(v.name, sink))),
    params.messages,
    steady,
    reference.maxBatchWait,
    idle,
  );
  const machine = {
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    loadAverageAtEnd: (await import('node:os'))
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  };
  const table = renderTable(rows, params.repeats);
  const targetTable = renderTargets(targets);
  const scaleRuns = repeats.flatMap((r) => (r.scale ? [r.scale] : []));
  const scaleTable = scaleRuns.length > 0 ? renderScale(scaleRuns, params.messages) : undefined;
  console.log(`\n${table}\n\n${targetTable}\n${scaleTable ? `\n${scaleTable}\n` : ''}`);
  const out = {
    startedAt: stamp,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine,
    params: { ...params, scenarios: [...params.scenarios] },
    repeats,
    steady,
    idle,
    table,
    targets,
    scaleTable,
    profile,
  };
  const file = join(params.outDir, `bench-${stamp}.json`);
  writeFileSync(file, JSON.stringify(out, null, 2));
  writeFileSync(
    join(params.outDir, 'latest.md'),
    `${table}\n\n${targetTable}\n${scaleTable ? `\n${scaleTable}\n` : ''}${profile ? `\n\`\`\`\n${profile}\n\`\`\`\n` : ''}`,
  );
  // A chart that fails to draw must not cost the measurements: they are already written.
  const charts = await writeCharts(out, params.outDir, `bench-${stamp}-`).catch((err: unknown) => {
    logger.warn(`charts not drawn: ${err instanceof Error ? err.message : String(err)}`);
    return [];
  });
  // Sink files are gone (removeSink); worker logs and profiles stay in the run directory.
  logger.info(`results: ${file} (worker logs and profiles in ${runDir})`, { charts });
}

main().catch((err) => {
  // A setting to fix exits 2 with one line; anything else keeps its stack for the investigation.
  if (isSettingError(err)) exitOnError('bench')(err);
  console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});

/**
 * The ceiling's sink: SQLite on the consumer's own thread. A bare consumer that waits for each
 * write gains nothing from the workers' sink thread (./src/sink/threaded-sqlite-sink.ts) and pays
 * its hop, so the ceiling keeps the faster way; PostgreSQL as the workers open it.
 */
async function ceilingSink(
  config: Parameters<typeof openSink>[0],
  logger: Parameters<typeof openSink>[1],
): Promise<Sink> {
  return config.sink === 'sqlite' ? new SqliteSink(config.sqlitePath, config.sinkWriteMode) : openSink(config, logger);
}
