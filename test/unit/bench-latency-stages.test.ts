// The steady benchmark's latency breakdown: a row's latency split into stages from its run's
// times, and the summary over rows (percentiles per stage, and what the slowest 1% spent where).

import { describe, expect, it } from 'vitest';
import { stagesOf, summarise, type RowTimes, type RunTimes } from '../../scripts/bench/latency-stages';

const run: RunTimes = {
  takenAt: 1_600,
  sensorTaskStartedAt: 1_650,
  startCommandAt: 1_800,
  runStartedAt: 1_900,
  runTaskStartedAt: 2_000,
  loadScheduledAt: 2_100,
  loadStartedAt: 2_300,
};

describe('latency stages', () => {
  it('splits one row into stages that add up to its latency', () => {
    const row: RowTimes = { runId: 'r', producedAt: 1_000, loadedAt: 2_450 };
    const stages = stagesOf(row, run)!;
    expect(stages).toEqual({
      'kafka and buffer': 600,
      'sensor task wait': 50,
      'sensor task': 150,
      'child start': 100,
      'run task wait': 100,
      'run task': 100,
      'load wait': 200,
      load: 150,
    });
    expect(Object.values(stages).reduce((a, b) => a + b, 0)).toBe(row.loadedAt - row.producedAt);
  });

  it('leaves out rows whose run is unknown', () => {
    expect(stagesOf({ runId: 'missing', producedAt: 0, loadedAt: 1 }, undefined)).toBeUndefined();
    const summary = summarise([{ runId: 'missing', producedAt: 0, loadedAt: 1 }], new Map([['r', run]]));
    expect(summary.rows).toBe(0);
  });

  it('names what the slowest rows spent their time on', () => {
    // 99 rows of a quick run, one row of a run whose sensor task took 5 s.
    const slowRun: RunTimes = {
      ...run,
      startCommandAt: 6_650,
      runStartedAt: 6_750,
      runTaskStartedAt: 6_850,
      loadScheduledAt: 6_950,
      loadStartedAt: 7_150,
    };
    const runs = new Map([
      ['quick', run],
      ['slow', slowRun],
    ]);
    const rows: RowTimes[] = [
      ...Array.from({ length: 99 }, (_, i) => ({ runId: 'quick', producedAt: 1_000 + i, loadedAt: 2_450 })),
      { runId: 'slow', producedAt: 1_000, loadedAt: 7_300 },
    ];
    const summary = summarise(rows, runs);
    expect(summary.rows).toBe(100);
    expect(summary.p50['sensor task']).toBe(150);
    expect(summary.tail['sensor task']).toBe(5_000);
    expect(summary.tail['kafka and buffer']).toBe(600);
    expect(summary.p99['sensor task']).toBe(150);
  });
});
