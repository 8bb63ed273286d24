// Fault: the Kafka broker stops mid-stream and starts again on its kept data. The producer's sends
// wait (idempotent, so nothing is written twice), the sensors' consumers lose the broker and
// kafkajs restarts them, and offset commits are refused until the group coordinator is back. Run
// against each sink.

import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SINKS } from '../sink-view';
import { expectExactlyOnce, scenarioPerTest, SINK_BOUND_MS } from './harness';
import { startServer, stopServer } from './servers';

const MESSAGES = 24_000;
const RATE = 2_000;
const DOWN_MS = 10_000;

const scenario = scenarioPerTest();

describe.each(SINKS)('the Kafka broker restarted mid-stream (%s sink)', (sink) => {
  it('loses and duplicates nothing when the broker stops and restarts with its data', async () => {
    const s = await scenario('kafka', {}, sink);
    const worker = s.startWorker();
    await worker.started();
    const producing = s.produce(MESSAGES, RATE);

    await s.waitForSinkRows(4_000);
    s.mark('kafka stopped');
    await stopServer('kafka');
    await sleep(DOWN_MS);
    await startServer('kafka');
    const restarted = s.mark('kafka started');

    expect((await producing.done).sent).toBe(MESSAGES);
    const recovery = await s.waitForRecovery(MESSAGES, restarted, SINK_BOUND_MS);
    const figures = await s.figures(MESSAGES);
    s.report(`Kafka broker down ${DOWN_MS / 1000} s (${sink} sink)`, figures, recovery, 'after Kafka was back');

    expect(worker.alive).toBe(true);
    expectExactlyOnce(figures, recovery);
  });
});
