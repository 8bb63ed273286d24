// Builds the Temporal workers of one process, by role:
// - sensor: the sensor workflows and claim activity on the shared sensor task queue, plus this
//   process's worker-specific queue where its Kafka consumers answer consume-batch calls;
// - runs: MicroBatchRun workflows and process-batch activities on the runs task queue, whose
//   activity slots (MAX_CONCURRENT_RUNS) are the max-concurrent-runs limit.
// Every worker records the pipeline's metrics (src/metrics/pipeline-metrics.ts) into one registry,
// which `npm run worker` serves on METRICS_PORT.
// Used by `npm run worker` (src/workers/main.ts), the demo, the benchmark and the tests.

import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import { createRunActivities } from '../activities/run-activities';
import { createSensorActivities, sensorWorkflowsOf } from '../activities/sensor-activities';
import type { Config } from '../config';
import { BatchCache } from '../kafka/batch-cache';
import { BatchRecords } from '../kafka/batch-records';
import { BytePool } from '../kafka/byte-pool';
import { ConsumerRegistry } from '../kafka/consumer-registry';
import { DeadLetterPublisher } from '../kafka/dead-letter';
import { topicLag } from '../kafka/lag';
import type { KafkaAdmin, KafkaClient } from '../kafka/port';
import type { Logger } from '../logger';
import { readLagAtScrape, readSensorsAtScrape } from '../metrics/pipeline-gauges';
import { PipelineMetrics } from '../metrics/pipeline-metrics';
import { runMetricsSinks } from '../metrics/run-sinks';
import { transform as defaultTransform, type SourceRecord, type TransformedRecord } from '../processing/transform';
import type { Sink } from '../sink';
import { consumerTaskQueueFor } from '../task-queues';
import { activationTimeoutOptions } from './activation-timeout';
import { createAllOrNone } from './all-or-none';
import { dataConverterFor } from './compression-codec';
import { InFlightCalls } from './in-flight-calls';
import { releasedConsumersNotice } from './released-consumers';
import { planMemory } from './memory-plan';
import { heapLimitWarning } from './runtime-flags';
import { loadWorkflowBundle } from './workflow-bundle';

export interface PipelineDeps {
  config: Config;
  connection: NativeConnection;
  client: Client;
  kafka: KafkaClient;
  admin: KafkaAdmin;
  sink: Sink;
  logger: Logger;
  transform?: (record: SourceRecord) => TransformedRecord;
  /** Where process-batch sends dead letters; a publisher to KAFKA_DLQ_TOPIC when absent (tests replace it). */
  deadLetters?: DeadLetterPublisher;
  /** Reuse a bundle across pipelines (tests start several); built once when absent. */
  workflowBundle?: WorkflowBundle;
  /** Where the workers record the pipeline's metrics; a registry of its own when absent. */
  metrics?: PipelineMetrics;
}

export interface Pipeline {
  /** Runs until shutdown() (or a shutdown signal), then closes consumers and producers. */
  run(): Promise<void>;
  shutdown(): void;
  consumerTaskQueue: string;
  metrics: PipelineMetrics;
}

export async function createPipeline(deps: PipelineDeps): Promise<Pipeline> {
  const { config, connection, logger } = deps;
  const roles = new Set(config.workerRoles);
  const workflowBundle =
    deps.workflowBundle ??
    (await loadWorkflowBundle({
      onCacheError: (err) =>
        logger.warn('could not keep the workflow bundle for the next start', { error: String(err) }),
    }));
  const consumerTaskQueue = consumerTaskQueueFor(config.sensorTaskQueue);
  /** Created side by side: each worker with workflows loads the bundle into a thread of its own. */
  const creators: Array<() => Promise<Worker>> = [];
  const closers: Array<() => Promise<void>> = [];
  // WORKER_MEMORY_BUDGET, split among fetches, buffers and the batch cache (./memory-plan.ts).
  const memory = planMemory({
    budgetBytes: config.workerMemoryBudget,
    sensorReplicas: config.sensorReplicas,
    consumes: roles.has('sensor'),
    // With BATCH_PAYLOAD=offsets the records of batches this process consumed wait in the cache for
    // their runs (a miss costs a Kafka read). A process without the runs role never reads them.
    caches: roles.has('runs') && config.batchPayload === 'offsets',
  });
  logger.info('memory budget', { budgetBytes: config.workerMemoryBudget, ...memory });
  const heapWarning = heapLimitWarning(config.workerMemoryBudget);
  if (heapWarning) logger.warn(heapWarning);
  const cache = new BatchCache(memory.cacheBytes);
  const metrics = deps.metrics ?? new PipelineMetrics({ topic: config.topic, groupId: config.groupId });
  const common = {
    ...activationTimeoutOptions,
    connection,
    namespace: config.temporalNamespace,
    shutdownGraceTime: '20s',
    dataConverter: dataConverterFor(config),
    sinks: runMetricsSinks(metrics),
  } as const;

  if (roles.has('sensor')) {
    const tellSensors = releasedConsumersNotice(deps.client, config, consumerTaskQueue, logger);
    const unawaited = new InFlightCalls();
    const registry = new ConsumerRegistry(
      deps.kafka,
      {
        topic: config.topic,
        groupId: config.groupId,
        fromBeginning: config.fromBeginning,
        // Beyond these, fetching waits and records wait in Kafka as lag.
        bufferMessages: config.maxBatchSize * 4,
        bufferBytes: memory.bufferShareBytes,
        bufferPool: new BytePool(memory.bufferPoolBytes),
        fetchMaxBytes: { total: memory.fetchMaxBytes, perPartition: memory.fetchMaxBytesPerPartition },
        reapIntervalMs: 10_000,
        onRetired: (replica) => void unawaited.track(tellSensors([replica])),
      },
      logger,
    );
    closers.push(async () => {
      const replicas = registry.heldReplicas();
      await registry.closeAll();
      // Their sensors would otherwise find out only when a call to this process's queue, which
      // nobody polls now, times out unstarted (10 s): tell them, so they claim elsewhere at once.
      await tellSensors(replicas);
      // Wake signals and notices sent meanwhile, before the client they use is closed.
      await unawaited.settled();
    });
    const activities = createSensorActivities({
      registry,
      admin: deps.admin,
      workflows: sensorWorkflowsOf(deps.client, (call) => unawaited.track(call)),
      topic: config.topic,
      groupId: config.groupId,
      consumerTaskQueue,
      batchPayload: config.batchPayload,
      cache,
      metrics,
      logger,
    });
    readLagAtScrape(metrics, async () => (await topicLag(deps.admin, config.groupId, config.topic)).partitions, logger);
    readSensorsAtScrape(
      metrics,
      { client: deps.client, topic: config.topic, groupId: config.groupId, replicas: () => registry.heldReplicas() },
      logger,
    );
    creators.push(
      () => Worker.create({ ...common, taskQueue: config.sensorTaskQueue, workflowBundle, activities }),
      () =>
        Worker.create({
          ...common,
          taskQueue: consumerTaskQueue,
          activities,
          // consume-batch calls wait for records; one slot per replica this process may hold.
          maxConcurrentActivityTaskExecutions: 200,
        }),
    );
  }

  if (roles.has('runs')) {
    const deadLetters = deps.deadLetters ?? new DeadLetterPublisher(deps.kafka, config.dlqTopic);
    closers.push(() => deadLetters.close());
    const records = new BatchRecords(
      deps.kafka,
      cache,
      config.groupId,
      logger,
      Math.max(1_000, Math.floor(config.runActivityTimeout * 0.8)),
      (source) => metrics.batchRecordsServed.inc({ source }),
    );
    closers.push(() => records.close());
    creators.push(() =>
      Worker.create({
        ...common,
        taskQueue: config.runsTaskQueue,
        workflowBundle,
        activities: createRunActivities({
          sink: deps.sink,
          deadLetters,
          transform: deps.transform ?? defaultTransform,
          records,
          metrics,
        }),
        maxConcurrentActivityTaskExecutions: config.maxConcurrentRuns,
      }),
    );
  }

  // If one fails, the workers already created are stopped before its error goes on: each holds the
  // connection until it has run. shutdown() refuses a worker that never ran ("Not running"), so
  // they are run and stopped at once (runUntil), as main.ts does with a pipeline it will not run.
  const workers = await createAllOrNone(creators, (worker) =>
    worker
      .runUntil(Promise.resolve())
      .catch((err) => logger.warn('could not stop a worker after a failed start', { error: String(err) })),
  );
  const shutdown = () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    consumerTaskQueue,
    metrics,
    shutdown,
    async run() {
      try {
        // If one worker fails, the others stop too, rather than run half a system.
        await Promise.all(workers.map((w) => w.run().catch((err) => (shutdown(), Promise.reject(err)))));
      } finally {
        // Workers have finished their in-flight tasks: now leave the group and flush producers.
        for (const close of closers)
          await close().catch((err) => logger.warn('closing failed', { error: String(err) }));
      }
    },
  };
}
