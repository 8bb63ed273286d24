// `npm run worker`: one process that runs the whole system (or the roles WORKER_ROLES names):
// connects to Temporal and Kafka (waiting for them if they are not up yet), starts the workers,
// makes sure SENSOR_REPLICAS sensors run, and on SIGINT/SIGTERM stops taking work, finishes what
// is in flight, leaves the consumer group and exits (within seconds of its clean stop, even if a
// client left something open: see exit-when-drained.ts).

import { loadConfigOrExit } from '../config';
import { createKafka } from '../kafka/client';
import { ensureTopic } from '../kafka/topics';
import { createLogger, type Logger } from '../logger';
import { createSink } from '../sink';
import { connectAdmin, connectClient, connectWorkerConnection, installTemporalLogger } from './connect';
import { serveCodec } from './codec-server';
import { dataConverterFor } from './compression-codec';
import { exitWhenDrained } from './exit-when-drained';
import { createPipeline } from './pipeline';
import { describe } from './retry';
import { ensureSensors } from './sensors';
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

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, 'worker');
  installTemporalLogger(config.logLevel);
  let workersRunning = false;
  handleShutdownSignals(logger, () => workersRunning);
  const kafka = createKafka(config, logger);
  const admin = await connectAdmin(kafka, config, logger);
  const connection = await connectWorkerConnection(config, logger);
  const client = await connectClient(config, logger);
  const sink = createSink(config);
  try {
    if (config.workerRoles.includes('runs')) await ensureTopic(admin, config.dlqTopic, config.topicPartitions, logger);
    const pipeline = await createPipeline({ config, connection, client, kafka, admin, sink, logger });
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
    if (config.manageSensors && config.workerRoles.includes('sensor')) {
      await ensureSensors(client, config, logger).catch(async (err) => {
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
    await sink.close();
    await admin.disconnect();
    await client.connection.close();
    await connection.close();
  }
}

main().catch((err) => {
  console.error(`worker failed: ${describe(err)}`);
  process.exit(1);
});
