// Latency over time for the steady-state chart: rows grouped by the second they were loaded in.

import { describe, expect, it } from 'vitest';
import { latencyPerSecond, percentile } from '../../scripts/bench/timeline';

describe('steady-state latency per second', () => {
  it('takes nearest-rank percentiles, as the whole-run latency does', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([], 50)).toBeNaN();
  });

  it('groups rows by the second of loading, counted from the start, and skips empty seconds', () => {
    const start = 1_000_000;
    const rows = [
      { loadedAt: start + 100, latencyMs: 900 },
      { loadedAt: start + 900, latencyMs: 100 },
      { loadedAt: start + 2_500, latencyMs: 3_000 },
      { loadedAt: start - 1, latencyMs: 50 }, // before the producer started: not part of the run
    ];
    expect(latencyPerSecond(rows, start)).toEqual([
      { second: 0, rows: 2, p50: 100, p99: 900, max: 900 },
      { second: 2, rows: 1, p50: 3_000, p99: 3_000, max: 3_000 },
    ]);
  });
});
