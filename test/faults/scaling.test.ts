// Fault: the deployment changes shape mid-stream, with rebalances at every step:
// - a second worker process joins with SENSOR_REPLICAS=4 (its `npm run worker` starts replicas 2
//   and 3: four consumers in the group);
// - the first worker leaves with SIGTERM (graceful: its consumers leave the group, and the sensors
//   whose consumer it held claim one on the second worker);
// - a third worker joins with SENSOR_REPLICAS=1 (it signals `stop` to replicas 1-3, which commit,
//   leave the group and complete);
// - the second worker leaves with SIGTERM while it holds the last replica's consumer.

import { describe, expect, it } from 'vitest';
import { sensorWorkflowId } from '../../src/batch';
import { statusQuery } from '../../src/workflows/sensor';
import { expectExactlyOnce, FaultScenario, scenarioPerTest, SINK_BOUND_MS, waitUntil } from './harness';
import type { WorkerProcess } from './processes';

// Long enough that every change, the last one too, happens while the producer writes: each
// graceful leave costs the moved sensors about 30 s (consume-batch's schedule-to-close timeout).
const MESSAGES = 45_000;
const RATE = 600;

const scenario = scenarioPerTest();

/** Replicas whose last consume-batch call reported partitions held. */
async function consumingReplicas(s: FaultScenario, replicas: number): Promise<number[]> {
  const holding: number[] = [];
  for (let r = 0; r < replicas; r++) {
    const handle = s.servers.client.workflow.getHandle(sensorWorkflowId(s.config.topic, s.config.groupId, r));
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status && status.phase !== 'stopping' && status.assignment.length > 0) holding.push(r);
  }
  return holding;
}

/** Replicas for which the worker's log shows it started a Kafka consumer. */
function consumersStartedBy(worker: WorkerProcess): Set<number> {
  return new Set([...worker.log().matchAll(/starting Kafka consumer replica=(\d+)/g)].map((m) => Number(m[1])));
}

describe('workers and sensor replicas scaled mid-stream', () => {
  it('loses and duplicates nothing while sensors go 2 → 4 → 1 and workers join and leave', async () => {
    const s = await scenario('scale', { SENSOR_REPLICAS: '2' });
    const first = s.startWorker();
    await first.started();
    const producing = s.produce(MESSAGES, RATE);
    await s.waitForSinkRows(3_000);

    s.mark('worker 2 joins, 2 → 4 replicas');
    const second = s.startWorker({ SENSOR_REPLICAS: '4' });
    await second.started();
    await waitUntil('4 replicas holding partitions', async () => (await consumingReplicas(s, 4)).length === 4, 90_000);
    s.mark('4 replicas consuming');

    s.mark('worker 1 leaves');
    await first.stop();
    expect(first.log()).toContain('worker stopped cleanly');
    await waitUntil('worker 2 holding all 4 consumers', async () => consumersStartedBy(second).size === 4, 120_000);
    await s.waitForSinkRows((await s.sinkCount()) + 1_000);
    s.mark('worker 2 holds 4 consumers');

    s.mark('worker 3 joins, 4 → 1 replica');
    const third = s.startWorker({ SENSOR_REPLICAS: '1' });
    await third.started();
    await Promise.all(
      [1, 2, 3].map((r) =>
        s.servers.client.workflow.getHandle(sensorWorkflowId(s.config.topic, s.config.groupId, r)).result(),
      ),
    );
    s.mark('replicas 1-3 stopped');

    // Replica 0's consumer is on worker 2 (the only worker left with consumers): it must move.
    const midStream = producing.sent() < MESSAGES || (await s.totalLag()) > 0;
    s.mark('worker 2 leaves');
    await second.stop();
    expect(second.log()).toContain('worker stopped cleanly');
    const left = s.mark('worker 2 left');

    expect((await producing.done).sent).toBe(MESSAGES);
    const recovery = await s.waitForRecovery(MESSAGES, left, SINK_BOUND_MS);
    const figures = await s.figures(MESSAGES);
    s.report('sensors 2 → 4 → 1, workers join and leave', figures, recovery, 'after worker 2 left');

    expectExactlyOnce(figures, recovery);
    expect(midStream, 'the last change happened with messages still to load').toBe(true);
    expect(third.alive).toBe(true);
    expect(consumersStartedBy(third).has(0)).toBe(true);
    expect(await consumingReplicas(s, 4)).toEqual([0]);
  });
});
