// Activities of the sensor workflow. claimConsumer and findUnfinishedRuns run on the shared sensor
// task queue; consumeBatch, commitOffsets, resetOffsets and releaseConsumer run on the task queue of the one
// worker process that holds the replica's Kafka consumer (its worker-specific task queue).

import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { rangeOf, type Batch, type PartitionOffset, type RunBatch } from '../batch';
import { MAX_BATCH_BYTES_INLINE, type BatchPayload } from '../config';
import { FailureType } from '../errors';
import type { BatchCache } from '../kafka/batch-cache';
import type { ConsumerRegistry } from '../kafka/consumer-registry';
import type { KafkaAdmin } from '../kafka/port';
import { recordsHeapBytes } from '../kafka/record-weight';
import type { SensorConsumer, TakeRequest, TakeResult, TopicReset } from '../kafka/sensor-consumer';
import type { PipelineMetrics } from '../metrics/pipeline-metrics';
import type { Logger } from '../logger';
import { RECORDS_WAITING_SIGNAL, type WakeRequest } from '../sensor-wake';

/** What the activities use of a sensor's consumer. */
export type HeldConsumer = Pick<
  SensorConsumer,
  'exclusive' | 'findResetPartitions' | 'heldPartitions' | 'commit' | 'rewind' | 'take' | 'resetTo' | 'wakeOnNextRecord'
>;

/** What the activities ask of Temporal. */
export interface SensorWorkflows {
  /** Tells a sensor waiting between ticks that records arrived (src/sensor-wake.ts). */
  wake(workflowId: string, token: string): Promise<void>;
  /** True while the workflow runs; false once it ended, or if it never existed. */
  isRunning(workflowId: string): Promise<boolean>;
}

/**
 * Temporal's client as SensorWorkflows. `track` sees each wake signal, which nobody awaits (see
 * src/workers/in-flight-calls.ts).
 */
export function sensorWorkflowsOf(client: Client, track: <T>(call: Promise<T>) => Promise<T>): SensorWorkflows {
  return {
    wake: (workflowId, token) => track(client.workflow.getHandle(workflowId).signal(RECORDS_WAITING_SIGNAL, token)),
    async isRunning(workflowId) {
      try {
        return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
      } catch {
        // Not found: nothing is running under that ID.
        return false;
      }
    },
  };
}

/** Only what the activities use of each, so a test can hand them plain objects. */
export interface SensorActivityDeps {
  registry: Pick<ConsumerRegistry, 'keepFor' | 'release'> & {
    get(replica: number): HeldConsumer | undefined;
    /** Opens (or keeps) the replica's consumer on this worker; what it returns is not used here. */
    claim(replica: number, idleTimeoutMs: number): Promise<unknown>;
  };
  admin: Pick<KafkaAdmin, 'listTopics'>;
  workflows: SensorWorkflows;
  topic: string;
  groupId: string;
  /** This process's worker-specific task queue, where its consumers are reached. */
  consumerTaskQueue: string;
  /** `offsets`: batches leave as offset ranges and their records stay in `cache` (BATCH_PAYLOAD). */
  batchPayload: BatchPayload;
  cache: Pick<BatchCache, 'put' | 'waitForRoom' | 'makeRoom'>;
  /** Records consumed and batch sizes are counted here, where batches are cut. */
  metrics: Pick<PipelineMetrics, 'recordsConsumed' | 'batchSizeRecords' | 'batchSizeBytes'>;
  /** Where a wake signal that could not be sent is reported (the sensor's timer still fires). */
  logger?: Pick<Logger, 'warn'>;
}

export interface ClaimInput {
  topic: string;
  groupId: string;
  replica: number;
  /** Close the consumer if the sensor has not used it for this long (it moved elsewhere). */
  idleTimeoutMs: number;
}

export interface ConsumeInput {
  replica: number;
  request: TakeRequest;
  /** Keep the consumer this long after this call if no other comes (absent: as claimed). */
  idleTimeoutMs?: number;
  /** Per partition, the highest offset the sensor knows the group committed (SensorState.committed). */
  known?: Record<string, string>;
  /**
   * First check that the topic was not deleted and created again (see
   * SensorConsumer.findResetPartitions); if it was, take and commit nothing and report it in
   * `topicReset`.
   */
  checkTopic?: boolean;
  /** Offsets to commit before taking: runs holding everything below them have started. */
  commit: PartitionOffset[];
  /** Partitions to read again from the given offset: their runs could not be started. */
  rewind: PartitionOffset[];
  /**
   * If this call takes nothing, signal the sensor when the next record arrives (see
   * src/sensor-wake.ts): it waits between ticks only while its topic is idle.
   */
  wake?: WakeRequest;
}

export interface ConsumeResult extends Omit<TakeResult, 'batches'> {
  /** With their records (BATCH_PAYLOAD=records) or as offset ranges (offsets). */
  batches: RunBatch[];
  /** Of `commit`, the offsets not to send again (see SensorConsumer.commit); the rest stay pending. */
  settled: PartitionOffset[];
  /** Partitions whose offsets went back below what the group had committed (see ConsumeInput.checkTopic). */
  topicReset?: TopicReset[];
}

export type { TopicReset };

export function createSensorActivities(deps: SensorActivityDeps) {
  const consumerOf = (replica: number) => {
    const consumer = deps.registry.get(replica);
    if (!consumer) {
      throw ApplicationFailure.nonRetryable(
        `this worker holds no consumer for replica ${replica}`,
        FailureType.ConsumerNotHeld,
      );
    }
    return consumer;
  };

  /** Counts what a consume call hands out (records read again after a rebalance count again). */
  const counted = <T extends TakeResult>(taken: T): T => {
    for (const batch of taken.batches) {
      deps.metrics.recordsConsumed.inc({ partition: String(batch.partition) }, batch.count);
      deps.metrics.batchSizeRecords.observe(batch.count);
      deps.metrics.batchSizeBytes.observe(batch.bytes);
    }
    return taken;
  };

  /** Arms the consumer to signal its sensor when a record arrives after a call that took nothing. */
  const wakeWhenIdle = <T extends TakeResult>(consumer: HeldConsumer, wake: WakeRequest | undefined, taken: T): T => {
    if (wake && taken.batches.length === 0) {
      consumer.wakeOnNextRecord(() => {
        deps.workflows.wake(wake.workflowId, wake.token).catch((err: unknown) =>
          deps.logger?.warn('could not wake the sensor: it starts its next tick on its timer', {
            sensor: wake.workflowId,
            error: err instanceof Error ? err.message : String(err),
          }),
        );
      });
    }
    return taken;
  };

  return {
    /** Makes this worker hold the replica's consumer; returns the task queue to reach it on. */
    async claimConsumer({ topic, groupId, replica, idleTimeoutMs }: ClaimInput): Promise<{ taskQueue: string }> {
      // A consumer of another pipeline would hand this sensor records it must not commit.
      if (topic !== deps.topic || groupId !== deps.groupId) {
        throw ApplicationFailure.nonRetryable(
          `this worker consumes topic "${deps.topic}" (group "${deps.groupId}"), not "${topic}" (group "${groupId}"): ` +
            'give each pipeline its own SENSOR_TASK_QUEUE',
          'WrongPipeline',
        );
      }
      const topics = await deps.admin.listTopics();
      if (!topics.includes(deps.topic)) {
        throw ApplicationFailure.retryable(
          `Kafka topic "${deps.topic}" does not exist: create it (npm run producer does) or set KAFKA_TOPIC`,
          'TopicMissing',
        );
      }
      await deps.registry.claim(replica, idleTimeoutMs);
      return { taskQueue: deps.consumerTaskQueue };
    },

    async consumeBatch(input: ConsumeInput): Promise<ConsumeResult> {
      const consumer = consumerOf(input.replica);
      if (input.idleTimeoutMs !== undefined) deps.registry.keepFor(input.replica, input.idleTimeoutMs);
      return consumer.exclusive(async () => {
        if (input.checkTopic) {
          const topicReset = await consumer.findResetPartitions(input.known ?? {});
          if (topicReset.length > 0) {
            return { batches: [], assignment: consumer.heldPartitions, settled: [], topicReset };
          }
        }
        const settled = await consumer.commit(input.commit, input.known);
        if (input.rewind.length > 0) consumer.rewind(input.rewind);
        if (deps.batchPayload === 'records') {
          // Records travel in this result: whatever byte caps the sensor was given (by a worker
          // with BATCH_PAYLOAD=offsets, say), it must fit one Temporal payload.
          const { maxBytes, maxTotalBytes } = input.request;
          const request = {
            ...input.request,
            maxBytes: Math.min(maxBytes, MAX_BATCH_BYTES_INLINE),
            maxTotalBytes: Math.min(maxTotalBytes, MAX_BATCH_BYTES_INLINE),
          };
          const taken = wakeWhenIdle(consumer, input.wake, counted(await consumer.take(request)));
          return { ...taken, batches: taken.batches.map(inlineOrRange), settled };
        }
        // A batch the cache cannot keep is read back from Kafka by its run: first give the runs
        // loading earlier batches up to MAX_BATCH_WAIT to make room for a full one, so that records
        // wait in Kafka (the buffers fill, fetching waits) rather than be read twice. If none frees
        // any, the cache holds batches no run here loads (they ran on another worker): they go.
        const { maxMessages, maxBytes, maxWaitMs } = input.request;
        const fullBatch = recordsHeapBytes(maxMessages, maxBytes);
        if (!(await deps.cache.waitForRoom(fullBatch, maxWaitMs))) deps.cache.makeRoom(fullBatch);
        // Ranges are a few dozen bytes each, so the cap on records per result does not apply.
        const taken = wakeWhenIdle(
          consumer,
          input.wake,
          counted(await consumer.take({ ...input.request, maxTotalBytes: Number.MAX_SAFE_INTEGER })),
        );
        for (const batch of taken.batches) deps.cache.put(batch);
        return { ...taken, batches: taken.batches.map(rangeOf), settled };
      });
    },

    /** Returns the offsets not to send again (see SensorConsumer.commit). */
    async commitOffsets(input: {
      replica: number;
      offsets: PartitionOffset[];
      /** Keep the consumer this long if no other call comes (a waiting sensor touches it rarely). */
      idleTimeoutMs?: number;
      /** See ConsumeInput.known. */
      known?: Record<string, string>;
    }): Promise<PartitionOffset[]> {
      const consumer = consumerOf(input.replica);
      if (input.idleTimeoutMs !== undefined) deps.registry.keepFor(input.replica, input.idleTimeoutMs);
      return consumer.exclusive(() => consumer.commit(input.offsets, input.known));
    },

    /**
     * Moves the committed offsets of the target partitions this consumer holds to the targets, even
     * backwards, and re-reads them from there (`npm run reset`, applied by the sensor). Returns the
     * targets it applied; the others are held by other replicas, which apply them themselves.
     */
    async resetOffsets(input: {
      replica: number;
      targets: PartitionOffset[];
      idleTimeoutMs?: number;
    }): Promise<PartitionOffset[]> {
      const consumer = consumerOf(input.replica);
      if (input.idleTimeoutMs !== undefined) deps.registry.keepFor(input.replica, input.idleTimeoutMs);
      return consumer.exclusive(() => consumer.resetTo(input.targets));
    },

    async releaseConsumer(input: { replica: number }): Promise<void> {
      await deps.registry.release(input.replica);
    },

    /** Of the given run workflow IDs, those still running (for runs a previous sensor run started). */
    async findUnfinishedRuns(workflowIds: string[]): Promise<string[]> {
      const running: string[] = [];
      for (const id of workflowIds) if (await deps.workflows.isRunning(id)) running.push(id);
      return running;
    },
  };
}

export type SensorActivities = ReturnType<typeof createSensorActivities>;

/**
 * A batch that carries its records (BATCH_PAYLOAD=records) when they fit one Temporal payload, else
 * its offset range. Only a single record can be that large (the caps keep every batch of several
 * within MAX_BATCH_BYTES_INLINE): one whose JSON outweighs its Kafka bytes, e.g. 400 KB of control
 * characters written as \u00XX. Inline it would fail the consume result every time; as a range,
 * process-batch reads it back from Kafka as it does with BATCH_PAYLOAD=offsets.
 */
export function inlineOrRange(batch: Batch): RunBatch {
  return batch.bytes > MAX_BATCH_BYTES_INLINE ? rangeOf(batch) : batch;
}
