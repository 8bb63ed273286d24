// Fault: the worker is asked to stop (SIGTERM) while the Kafka broker is down and the client is
// restarting a consumer it gave up on (first seen with kafkajs). It used to log `worker stopped cleanly` and then stay alive
// for good: the restart outlived the close, and when its retries ran out kafkajs scheduled the
// next one, and so on while the broker was away (seen with the broker killed twice 14 s apart:
// still alive 60 s later). A stopped worker must exit within seconds of its clean stop, whatever a
// client left open (src/workers/exit-when-drained.ts; closed consumers also stay down now,
// src/kafka/sensor-consumer.ts).

import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { sensorWorkflowId } from '../../src/batch';
import { EXIT_GRACE_MS } from '../../src/workers/exit-when-drained';
import { pauseSignal, statusQuery } from '../../src/workflows/sensor';
import { scenarioPerTest, waitUntil } from './harness';
import { killServer, startServer } from './servers';

/** From `worker stopped cleanly` to the end of the process group: the grace, with room for a busy machine. */
const EXIT_BOUND_MS = EXIT_GRACE_MS + 5_000;
/**
 * How long the test waits for the worker to end before it kills it. The clean stop itself can take
 * half a minute with the broker gone: in-flight claims wait out kafkajs's connection retries.
 */
const PATIENCE_MS = 120_000;

/** A client restarting a consumer it gave up on: kafkajs's log line, or the platformatic consumer's own. */
const CONSUMER_RESTARTING = /kafka Consumer: Restarting the consumer|Kafka consumer failed; trying again/;

const scenario = scenarioPerTest();

describe('a worker stopped while the broker is down', () => {
  it('exits within seconds of its clean stop, naming what it had to cut', async () => {
    const s = await scenario('exit');
    const worker = s.startWorker();
    await worker.started();
    await s.produce(3_000, 3_000).done;
    await s.waitForSinkRows(3_000);
    // Paused sensors leave no call in flight on the worker for a while (they touch their consumers
    // only every 20 s or so), so the clean stop takes a moment rather than waiting out a commit
    // that retries against the missing broker: the close then lands while kafkajs restarts a consumer.
    const sensors = Array.from({ length: s.config.sensorReplicas }, (_, replica) =>
      s.servers.client.workflow.getHandle(sensorWorkflowId(s.config.topic, s.config.groupId, replica)),
    );
    await Promise.all(sensors.map((sensor) => sensor.signal(pauseSignal)));
    await waitUntil(
      'the sensors to pause',
      async () => (await Promise.all(sensors.map((h) => h.query(statusQuery)))).every((st) => st.phase === 'paused'),
      30_000,
    );

    const logBeforeKill = worker.log().length;
    const killedAt = Date.now();
    await killServer('kafka');
    try {
      await worker.waitForLog(CONSUMER_RESTARTING, 120_000, logBeforeKill);
      // The restart has begun: it retries its connection to the broker that is gone.
      await sleep(1_000);
      const sigtermAt = Date.now();
      const ended = worker.stop(PATIENCE_MS);
      await worker.waitForLog(/worker stopped cleanly/, PATIENCE_MS);
      const stoppedAt = Date.now();
      const how = await ended;
      const endedAt = Date.now();
      const cut = /exiting anyway.*held=(.*)$/m.exec(worker.log())?.[1];
      const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      console.log(
        `[fault] SIGTERM ${seconds(sigtermAt - killedAt)} after the broker was killed, a consumer restarting: ` +
          `stopped cleanly ${seconds(stoppedAt - sigtermAt)} later, process ended (${how}) ` +
          `${seconds(endedAt - stoppedAt)} after that; cut: ${cut ?? 'nothing'}`,
      );

      expect(how).not.toMatch(/killed/);
      expect(endedAt - stoppedAt, 'ms from `worker stopped cleanly` until the process group was gone').toBeLessThan(
        EXIT_BOUND_MS,
      );
    } finally {
      await startServer('kafka');
    }
  });
});
