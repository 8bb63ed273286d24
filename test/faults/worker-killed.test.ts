// Fault: the worker process dies (SIGKILL) mid-stream, twice, and is restarted each time. Its
// Kafka consumers stay group members until their session times out, its in-flight consume-batch
// calls and process-batch activities time out in Temporal, and the sensors re-home their consumers
// to the restarted process. Run against each sink: a run whose write committed just before the kill
// is written again by its retry, and each sink's key must absorb it.

import { describe, expect, it } from 'vitest';
import { SINKS } from '../sink-view';
import { expectExactlyOnce, scenarioPerTest, SINK_BOUND_MS } from './harness';

const MESSAGES = 24_000;
const RATE = 2_000;

const scenario = scenarioPerTest();

describe.each(SINKS)('a worker killed mid-stream (%s sink)', (sink) => {
  it('loses and duplicates nothing when the worker is SIGKILLed twice and restarted', async () => {
    const s = await scenario('kill', {}, sink);
    const first = s.startWorker();
    await first.started();
    const producing = s.produce(MESSAGES, RATE);

    // First kill: while the producer writes and the worker holds both consumers and runs.
    await s.waitForSinkRows(3_000);
    s.mark('kill 1');
    await first.kill();
    const second = s.startWorker();
    await second.started();
    s.mark('restart 1');

    // Second kill: just after the restarted worker has taken the consumers over and loads again.
    await second.waitForLog(/starting Kafka consumer/, 90_000);
    const before = await s.sinkCount();
    await s.waitForSinkRows(before + 1_000, 60_000);
    s.mark('kill 2');
    await second.kill();
    const third = s.startWorker();
    await third.started();
    const restarted = s.mark('restart 2');

    expect((await producing.done).sent).toBe(MESSAGES);
    const recovery = await s.waitForRecovery(MESSAGES, restarted, SINK_BOUND_MS);
    const figures = await s.figures(MESSAGES);
    s.report(`worker SIGKILLed twice (${sink} sink)`, figures, recovery, 'after the second restart');

    expectExactlyOnce(figures, recovery);
  });
});
