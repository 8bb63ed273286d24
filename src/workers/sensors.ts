// Keeps SENSOR_REPLICAS sensor workflows running for the pipeline (topic and consumer group), as
// the seed's sensors default to running: starts missing replicas, sends current settings to running
// ones, and stops replicas numbered at or above SENSOR_REPLICAS (the setting was lowered). Another
// pipeline on the same topic has sensors of its own, which this never touches.

import type { Client } from '@temporalio/client';
import { parseSensorWorkflowId, sensorWorkflowId } from '../batch';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { pipelineFilter, type PipelineId } from '../runs';
import { KafkaGroup, KafkaTopic, SensorReplica } from '../search-attributes';
import { KafkaSensor } from '../workflows';
import { applySettingsSignal, stopSignal, type SensorSettings } from '../workflows/sensor';
import { waitUntilSensorsRunning } from './sensor-readiness';

export function sensorSettingsFrom(config: Config): SensorSettings {
  return {
    maxBatchSize: config.maxBatchSize,
    maxBatchBytes: config.maxBatchBytes,
    maxResultBytes: config.maxConsumeResultBytes,
    maxBatchWaitMs: config.maxBatchWait,
    maxTickRuntimeMs: config.maxSensorTickRuntime,
    timeBetweenTicksMs: config.timeBetweenSensorTicks,
    retryMaxBackoffMs: config.sensorRetryMaxBackoff,
    maxInFlightRuns: config.maxInFlightRuns,
    runsTaskQueue: config.runsTaskQueue,
    run: {
      maxAttempts: config.runMaxAttempts,
      retryInitialIntervalMs: config.runRetryInitialInterval,
      activityTimeoutMs: config.runActivityTimeout,
      outageMaxBackoffMs: config.runOutageMaxBackoff,
    },
  };
}

/** Starts (or updates) the sensors, then waits until every wanted replica runs; see startSensors. */
export async function ensureSensors(client: Client, config: Config, logger: Logger): Promise<void> {
  await confirmSensorsRunning(client, await startSensors(client, config, logger), logger);
}

/**
 * Starts the missing sensors and hands the running ones the current settings; stops replicas
 * numbered at or above SENSOR_REPLICAS. Returns the wanted sensors' workflow IDs. Needs no worker:
 * `npm run worker` calls it while its workers are being created, so the sensors' first tasks are
 * waiting when they start polling.
 */
export async function startSensors(client: Client, config: Config, logger: Logger): Promise<string[]> {
  const settings = sensorSettingsFrom(config);
  // All at once: replicas whose sensors start together join the consumer group in one rebalance,
  // where one started later makes the group rebalance again (seconds, with kafkajs's heartbeats).
  const wanted = await Promise.all(
    Array.from({ length: config.sensorReplicas }, async (_, replica) => {
      const workflowId = sensorWorkflowId(config.topic, config.groupId, replica);
      // Starts the sensor if it is not running; otherwise just hands it the current settings.
      await client.workflow.signalWithStart(KafkaSensor, {
        workflowId,
        taskQueue: config.sensorTaskQueue,
        args: [{ topic: config.topic, groupId: config.groupId, replica, settings }],
        signal: applySettingsSignal,
        signalArgs: [settings],
        typedSearchAttributes: [
          { key: KafkaTopic, value: config.topic },
          { key: KafkaGroup, value: config.groupId },
          { key: SensorReplica, value: String(replica) },
        ],
        staticSummary: `Kafka sensor for ${config.topic} (group ${config.groupId}), replica ${replica} of ${config.sensorReplicas}`,
      });
      return workflowId;
    }),
  );
  for (const { workflowId, replica } of await runningSensors(client, config)) {
    if (replica >= config.sensorReplicas) {
      logger.info('stopping extra sensor (SENSOR_REPLICAS was lowered)', { workflowId });
      await client.workflow.getHandle(workflowId).signal(stopSignal);
    }
  }
  return wanted;
}

/**
 * Waits until the sensors `wanted` run, and says so. A replica asked for while it was still
 * stopping restarts; report only what really runs. Needs a worker polling the sensor task queue.
 */
export async function confirmSensorsRunning(client: Client, wanted: string[], logger: Logger): Promise<void> {
  await waitUntilSensorsRunning(client, wanted);
  for (const workflowId of wanted) logger.info('sensor running', { workflowId });
}

/** The running sensors of one pipeline, with their replica numbers (NaN if neither source names one). */
export async function runningSensors(
  client: Client,
  pipeline: PipelineId,
): Promise<Array<{ workflowId: string; replica: number }>> {
  const sensors: Array<{ workflowId: string; replica: number }> = [];
  const query = `WorkflowType = 'KafkaSensor' AND ${pipelineFilter(pipeline)} AND ExecutionStatus = 'Running'`;
  for await (const wf of client.workflow.list({ query })) {
    const fromAttribute = wf.typedSearchAttributes.get(SensorReplica);
    const replica =
      fromAttribute !== undefined ? Number(fromAttribute) : (parseSensorWorkflowId(wf.workflowId)?.replica ?? NaN);
    sensors.push({ workflowId: wf.workflowId, replica });
  }
  return sensors;
}

/** The workflow IDs of one pipeline's running sensors. */
export async function runningSensorIds(client: Client, pipeline: PipelineId): Promise<string[]> {
  return (await runningSensors(client, pipeline)).map((s) => s.workflowId);
}
