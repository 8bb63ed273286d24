// Task-queue names in one place. The shared names come from the config; the worker-specific one
// is unique to a process, so an activity sent there reaches the process holding a Kafka consumer.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export function consumerTaskQueueFor(sensorTaskQueue: string): string {
  return `${sensorTaskQueue}/consumer/${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
}
