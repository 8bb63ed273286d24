// Fault: the PostgreSQL server under the postgres sink goes away in the middle of a backlog drain,
// twice: first a restart (a fast shutdown, which ends every session as a database restart or a
// failover does), then a crash (SIGKILL to the server and its backends; the start replays its
// write-ahead log). Writes in flight fail with a lost connection, and their runs hold their records
// (an outage is never bad data: nothing is dead-lettered) and try again once the server is back.
// A write that committed just before the cut, and whose answer was lost, is written again by its
// retry: the sink's key absorbs it.

import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { expectExactlyOnce, scenarioPerTest, SINK_BOUND_MS, type FaultScenario } from './harness';
import type { WorkerProcess } from './processes';
import { killServer, startServer, stopServer } from './servers';

/** A backlog large enough that both faults land while it drains. */
const MESSAGES = 40_000;
const DOWN_MS = 5_000;

const scenario = scenarioPerTest();

/** Waits until the drain has moved `rows` further, then takes the server away with `fault`. */
async function faultMidDrain(
  s: FaultScenario,
  worker: WorkerProcess,
  name: string,
  rows: number,
  fault: () => Promise<void>,
): Promise<{ rowsAtFault: number; logFrom: number }> {
  await s.waitForSinkRows((await s.sinkCount()) + rows, 90_000);
  const logFrom = worker.log().length;
  const rowsAtFault = await s.sinkCount();
  s.mark(`${name} at ${rowsAtFault} rows`);
  await fault();
  await sleep(DOWN_MS);
  await startServer('postgres');
  s.mark(`${name}: started`);
  return { rowsAtFault, logFrom };
}

describe('the PostgreSQL sink server restarted and killed mid-drain', () => {
  it('loses, duplicates and dead-letters nothing when PostgreSQL restarts and then crashes during a drain', async () => {
    // A held run retries after at most this (30 s by default): keeps the test short.
    const s = await scenario('postgres', { RUN_OUTAGE_MAX_BACKOFF: '4s' }, 'postgres');
    // The backlog is in Kafka before any worker runs: the faults hit a drain, not a trickle.
    expect((await s.produce(MESSAGES, 30_000).done).sent).toBe(MESSAGES);
    const worker = s.startWorker();
    await worker.started();

    const restart = await faultMidDrain(s, worker, 'postgres restarted', 5_000, () => stopServer('postgres'));
    const crash = await faultMidDrain(s, worker, 'postgres killed', 5_000, () => killServer('postgres'));
    const back = Date.now();

    const recovery = await s.waitForRecovery(MESSAGES, back, SINK_BOUND_MS);
    const figures = await s.figures(MESSAGES);
    const log = worker.log();
    const heldAfter = (from: number, to = log.length) => (log.slice(from, to).match(/run held/g) ?? []).length;
    const held = [heldAfter(restart.logFrom, crash.logFrom), heldAfter(crash.logFrom)];
    s.report(
      `PostgreSQL restarted, then killed, ${DOWN_MS / 1000} s down each (runs held: ${held.join(', ')})`,
      figures,
      recovery,
      'after the second start',
    );

    // Both faults hit the drain: rows were still to come, and runs felt the outage and held.
    expect(crash.rowsAtFault).toBeLessThan(MESSAGES);
    expect(held[0], 'runs held by the restart').toBeGreaterThan(0);
    expect(held[1], 'runs held by the crash').toBeGreaterThan(0);
    expect(worker.alive).toBe(true);
    expectExactlyOnce(figures, recovery);
  });
});
