// `npm run worker`: one process that runs the whole system (or the roles WORKER_ROLES names):
// connects to Temporal and Kafka (waiting for them if they are not up yet), starts the workers,
// makes sure SENSOR_REPLICAS sensors run, and on SIGINT/SIGTERM stops taking work, finishes what
// is in flight, leaves the consumer group and exits (within seconds of its clean stop, even if a
// client left something open: see exit-when-drained.ts). It serves the pipeline's metrics on
// METRICS_PORT and the Temporal SDK's on TEMPORAL_METRICS_PORT, both bound before anything else so
// a port already taken stops it at once (exit code 2, naming the setting).

import { loadConfigOrExit, type Config } from '../config';
import { connectionSummary } from '../connection-summary';
import { createKafkaClient } from '../kafka/client';
import type { KafkaAdmin } from '../kafka/port';
import { createLogger, type Logger } from '../logger';
import { MetricsPortInUseError, serveMetrics, type MetricsServer } from '../metrics/metrics-server';
import { PipelineMetrics } from '../metrics/pipeline-metrics';
import { openSink } from '../sink';
import { connectAdmin, connectClient, connectWorkerConnection, installTemporalLogger } from './connect';
import { serveCodec } from './codec-server';
import { dataConverterFor } from './compression-codec';
import { exitWhenDrained } from './exit-when-drained';
import { createPipeline } from './pipeline';
import { EXIT_BAD_SETTING, exitOnError } from './exit';
import { confirmSensorsRunning, startSensors } from './sensors';
import { onShutdownSignals } from './shutdown-signals';

/**
 * Temporal's runtime starts the graceful shutdown on the first SIGINT/SIGTERM and stops listening;
 * with no listener left, a later delivery would end the process mid-shutdown. So keep listening:
 * before the workers run there is nothing to finish, so exit; after, a second press (a second
 * Ctrl-C, not the same one relayed by npm, see shutdown-signals.ts) is only acknowledged, and the
 * shutdown finishes (bounded by the workers' shutdownGraceTime). SIGKILL still stops it at once.
 */
function handleShutdownSignals(logger: Logger, workersRunning: () => boolean): void {
  onShutdownSignals((signal, press) => {
    if (!workersRunning()) {
      console.error(`worker: ${signal} before the workers started; exiting`);
      process.exit(1);
    }
    if (press > 1) logger.info(`${signal} again: already stopping (SIGKILL stops at once)`);
  });
}

/** Both metrics endpoints, or none where their port is 0; throws MetricsPortInUseError. */
async function serveAllMetrics(
  config: Config,
  metrics: PipelineMetrics,
  logger: Logger,
): Promise<MetricsServer | undefined> {
  const host = config.metricsHost;
  if (config.temporalMetricsPort > 0) {
    installTemporalLogger(config.logLevel, {
      host,
      port: config.temporalMetricsPort,
      setting: 'TEMPORAL_METRICS_PORT',
    });
    logger.info('Temporal SDK metrics', { url: `http://${host}:${config.temporalMetricsPort}/metrics` });
  } else {
    installTemporalLogger(config.logLevel);
  }
  if (config.metricsPort === 0) return undefined;
  const server = await serveMetrics(metrics.registry, { host, port: config.metricsPort, setting: 'METRICS_PORT' });
  logger.info('pipeline metrics', { url: server.url });
  return server;
}

/** Creates KAFKA_DLQ_TOPIC if it is missing. */
async function ensureDeadLetterTopic(admin: KafkaAdmin, config: Config, logger: Logger): Promise<void> {
  if (await admin.ensureTopic(config.dlqTopic, config.topicPartitions)) {
    logger.info('created topic', { topic: config.dlqTopic, partitions: config.topicPartitions });
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, 'worker');
  const metrics = new PipelineMetrics({ topic: config.topic, groupId: config.groupId, processMetrics: true });
  const metricsServer = await serveAllMetrics(config, metrics, logger);
  let workersRunning = false;
  handleShutdownSignals(logger, () => workersRunning);
  logger.info('connecting', connectionSummary(config));
  // Each connection waits for its own server; none needs another, so they are made side by side.
  const [{ kafka, admin }, connection, client, sink] = await Promise.all([
    createKafkaClient(config, logger, { onConnectionError: () => metrics.connectionFailed('kafka') }).then(
      async (kafka) => ({ kafka, admin: await connectAdmin(kafka, config, logger, metrics.connectionFailed) }),
    ),
    connectWorkerConnection(config, logger, metrics.connectionFailed),
    connectClient(config, logger, metrics.connectionFailed),
    openSink(config, logger),
  ]);
  try {
    const manageSensors = config.manageSensors && config.workerRoles.includes('sensor');
    // Side by side with creating the workers: the dead-letter topic is first written long after
    // the start (a run's last attempt failed), but it must exist before the workers run; the
    // sensors' first tasks wait in their queue until the workers poll.
    const [created, deadLetterTopic, sensorsStarted] = await Promise.allSettled([
      createPipeline({ config, connection, client, kafka, admin, sink, logger, metrics }),
      config.workerRoles.includes('runs') ? ensureDeadLetterTopic(admin, config, logger) : undefined,
      manageSensors ? startSensors(client, config, logger) : undefined,
    ]);
    if (created.status === 'rejected') throw created.reason;
    const pipeline = created.value;
    for (const other of [deadLetterTopic, sensorsStarted]) {
      if (other.status === 'fulfilled') continue;
      // Workers hold the connection until they have run: run and stop them, so it can be closed.
      const stopped = pipeline.run();
      pipeline.shutdown();
      await stopped.catch(() => undefined);
      throw other.reason;
    }
    const sensors = sensorsStarted.status === 'fulfilled' ? sensorsStarted.value : undefined;
    const codec = dataConverterFor(config)?.payloadCodecs?.[0];
    const codecServer =
      codec && config.codecServerPort > 0 ? await serveCodec(codec, config.codecServerPort, logger) : undefined;
    const running = pipeline.run();
    workersRunning = true;
    logger.info('worker started', {
      roles: config.workerRoles.join(','),
      sensorQueue: config.sensorTaskQueue,
      runsQueue: config.runsTaskQueue,
      maxConcurrentRuns: config.maxConcurrentRuns,
    });
    if (sensors) {
      await confirmSensorsRunning(client, sensors, logger).catch(async (err) => {
        pipeline.shutdown();
        await running.catch(() => undefined);
        throw err;
      });
    }
    await running;
    codecServer?.close();
    logger.info('worker stopped cleanly');
    // Only the clients below are left to close, and with Kafka away even that can take long (32 s
    // once, just after the broker was killed): the bound covers them too.
    exitWhenDrained(logger);
  } finally {
    await metricsServer?.close();
    await sink.close();
    await admin.close();
    await client.connection.close();
    await connection.close();
  }
}

main().catch((err) => {
  if (err instanceof MetricsPortInUseError) {
    // A setting to change, like a bad value: exit code 2, as for configuration errors.
    console.error(`worker cannot start: ${err.message}`);
    process.exit(EXIT_BAD_SETTING);
  }
  exitOnError('worker')(err);
});
