// A sensor can only claim a consumer from a worker of its own pipeline (topic and group): another
// pipeline's consumer would hand it records it must not commit.

import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createSensorActivities, type SensorActivityDeps } from '../../src/activities/sensor-activities';

function activities(claimed: number[]) {
  const deps = {
    registry: { claim: async (replica: number) => void claimed.push(replica) },
    admin: { listTopics: async () => ['orders'] },
    temporal: {},
    topic: 'orders',
    groupId: 'orders-loader',
    consumerTaskQueue: 'q/consumer/host/1',
  } as unknown as SensorActivityDeps;
  return createSensorActivities(deps);
}

describe('claiming a consumer', () => {
  it('is refused, naming both pipelines, when the sensor reads another topic or group', async () => {
    const claimed: number[] = [];
    const env = new MockActivityEnvironment();
    const { claimConsumer } = activities(claimed);
    await expect(
      env.run(claimConsumer, { topic: 'payments', groupId: 'orders-loader', replica: 0, idleTimeoutMs: 1 }),
    ).rejects.toMatchObject({
      type: 'WrongPipeline',
      nonRetryable: true,
      message: expect.stringContaining('consumes topic "orders" (group "orders-loader"), not "payments"'),
    });
    await expect(
      env.run(claimConsumer, { topic: 'orders', groupId: 'other', replica: 0, idleTimeoutMs: 1 }),
    ).rejects.toMatchObject({ type: 'WrongPipeline' });
    expect(claimed).toEqual([]);
  });

  it("returns this worker's own task queue when topic and group match", async () => {
    const claimed: number[] = [];
    const env = new MockActivityEnvironment();
    const result = await env.run(activities(claimed).claimConsumer, {
      topic: 'orders',
      groupId: 'orders-loader',
      replica: 2,
      idleTimeoutMs: 1,
    });
    expect(result).toEqual({ taskQueue: 'q/consumer/host/1' });
    expect(claimed).toEqual([2]);
  });
});
