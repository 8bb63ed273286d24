// Fault: the Temporal server stops mid-stream and starts again on its kept data. While it is away
// the worker can neither fetch tasks nor report results. The server is stopped while both sensors'
// consume-batch calls run on the worker (each waits up to MAX_BATCH_WAIT=2s for a full batch), so
// their results, holding records taken from the consumers' buffers, are lost: the activities time
// out once the server is back and the sensors claim their consumers again. Run against each sink.

import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { sensorWorkflowId } from '../../src/batch';
import { SINKS } from '../sink-view';
import { expectExactlyOnce, FaultScenario, scenarioPerTest, SINK_BOUND_MS } from './harness';
import { startServer, stopServer } from './servers';

const MESSAGES = 24_000;
const RATE = 2_000;
/** Long enough for consume-batch calls and their results to be lost, short as a real restart. */
const DOWN_MS = 15_000;
/** PENDING_ACTIVITY_STATE_STARTED in Temporal's API: the worker has the task. */
const ACTIVITY_STARTED = 2;

/** True when each sensor has a consume-batch call running on a worker. */
async function consumeCallsRunning(s: FaultScenario, replicas: number): Promise<boolean> {
  for (let r = 0; r < replicas; r++) {
    const { raw } = await s.servers.client.workflow
      .getHandle(sensorWorkflowId(s.config.topic, s.config.groupId, r))
      .describe();
    const running = (raw.pendingActivities ?? []).some(
      (a) => a.activityType?.name === 'consumeBatch' && Number(a.state) === ACTIVITY_STARTED,
    );
    if (!running) return false;
  }
  return true;
}

const scenario = scenarioPerTest();

describe.each(SINKS)('the Temporal server restarted mid-stream (%s sink)', (sink) => {
  it('loses and duplicates nothing when Temporal stops and restarts with its data', async () => {
    const s = await scenario('temporal', { MAX_BATCH_SIZE: '1000', MAX_BATCH_WAIT: '2s' }, sink);
    const worker = s.startWorker();
    await worker.started();
    const producing = s.produce(MESSAGES, RATE);

    await s.waitForSinkRows(4_000);
    while (!(await consumeCallsRunning(s, 2))) await sleep(50);
    s.mark('temporal stopped');
    await stopServer('temporal');
    await sleep(DOWN_MS);
    await startServer('temporal');
    const restarted = s.mark('temporal started');

    expect((await producing.done).sent).toBe(MESSAGES);
    const recovery = await s.waitForRecovery(MESSAGES, restarted, SINK_BOUND_MS);
    const figures = await s.figures(MESSAGES);
    const reclaimed = (worker.log().match(/rewound the Kafka consumer/g) ?? []).length;
    s.report(
      `Temporal server down ${DOWN_MS / 1000} s (${reclaimed} consumers claimed again, ${sink} sink)`,
      figures,
      recovery,
      'after Temporal was back',
    );

    expect(worker.alive).toBe(true);
    expectExactlyOnce(figures, recovery);
  });
});
