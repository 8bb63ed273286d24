// Tells sensors that this worker has closed their Kafka consumers (consumerReleasedSignal, carrying
// this worker's consumer task queue), so a sensor that still uses this worker claims a consumer
// elsewhere at once instead of waiting for a call on this worker's queue to time out. A sensor
// that uses another worker's consumer by now ignores it (the queue is not its own).
// Used by pipeline.ts when the worker shuts down and when its registry closes a consumer by itself.

import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { sensorWorkflowId } from '../batch';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { consumerReleasedSignal } from '../workflows/sensor';

export type ReleasedConsumersNotice = (replicas: number[]) => Promise<void>;

export function releasedConsumersNotice(
  client: Client,
  config: Pick<Config, 'topic' | 'groupId'>,
  consumerTaskQueue: string,
  logger: Logger,
): ReleasedConsumersNotice {
  return async (replicas) => {
    await Promise.all(
      replicas.map(async (replica) => {
        const workflowId = sensorWorkflowId(config.topic, config.groupId, replica);
        try {
          await client.workflow.getHandle(workflowId).signal(consumerReleasedSignal, consumerTaskQueue);
        } catch (err) {
          // A sensor that was stopped has nothing to claim.
          if (err instanceof WorkflowNotFoundError) return;
          logger.warn('could not tell a sensor its consumer closed', { replica, error: String(err) });
        }
      }),
    );
  };
}
