// Keeps SENSOR_REPLICAS sensor workflows running for the topic, as the seed's sensors default to
// running: starts missing replicas, sends current settings to running ones, and stops replicas
// numbered at or above SENSOR_REPLICAS (the setting was lowered).

import type { Client } from '@temporalio/client';
import { sensorWorkflowId } from '../batch';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { KafkaTopic, SensorReplica } from '../search-attributes';
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
    maxInFlightRuns: config.maxInFlightRuns,
    runsTaskQueue: config.runsTaskQueue,
    run: {
      maxAttempts: config.runMaxAttempts,
      retryInitialIntervalMs: config.runRetryInitialInterval,
      activityTimeoutMs: config.runActivityTimeout,
    },
  };
}

export async function ensureSensors(client: Client, config: Config, logger: Logger): Promise<void> {
  const settings = sensorSettingsFrom(config);
  const wanted: string[] = [];
  for (let replica = 0; replica < config.sensorReplicas; replica++) {
    const workflowId = sensorWorkflowId(config.topic, replica);
    // Starts the sensor if it is not running; otherwise just hands it the current settings.
    await client.workflow.signalWithStart(KafkaSensor, {
      workflowId,
      taskQueue: config.sensorTaskQueue,
      args: [{ topic: config.topic, groupId: config.groupId, replica, settings }],
      signal: applySettingsSignal,
      signalArgs: [settings],
      typedSearchAttributes: [
        { key: KafkaTopic, value: config.topic },
        { key: SensorReplica, value: String(replica) },
      ],
      staticSummary: `Kafka sensor for ${config.topic}, replica ${replica} of ${config.sensorReplicas}`,
    });
    wanted.push(workflowId);
  }
  for (const id of await runningSensorIds(client, config.topic)) {
    const replica = Number(id.slice(id.lastIndexOf('-') + 1));
    if (replica >= config.sensorReplicas) {
      logger.info('stopping extra sensor (SENSOR_REPLICAS was lowered)', { workflowId: id });
      await client.workflow.getHandle(id).signal(stopSignal);
    }
  }
  // A replica asked for while it was still stopping restarts; report only what really runs.
  await waitUntilSensorsRunning(client, wanted);
  for (const workflowId of wanted) logger.info('sensor running', { workflowId });
}

export async function runningSensorIds(client: Client, topic: string): Promise<string[]> {
  const ids: string[] = [];
  const query = `WorkflowType = 'KafkaSensor' AND KafkaTopic = '${topic}' AND ExecutionStatus = 'Running'`;
  for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}
