// Steady state over time, for the chart next to the results (scripts/bench/charts.ts): the lag the
// benchmark samples once a second, and the latency of the rows loaded in each second. Pure
// functions over numbers; scripts/bench/steady.ts feeds them from Kafka and the sink.

/** One lag sample, seconds since the producer started. */
export interface LagPoint {
  second: number;
  /** Messages in the topic minus rows in the sink. */
  endToEnd: number;
  /** The group's lag by committed offsets (what `npm run lag` shows). */
  committed: number;
}

/** Latency of the rows whose loaded_at fell in one second since the producer started. */
export interface LatencyPoint {
  second: number;
  rows: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of sorted values, the rule SinkReader.latency uses for the whole run. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * Groups rows by the second they were loaded in (counted from `startMs`) and takes percentiles per
 * second: a latency that grows over the run shows as a rising line, where the run's p99 hides it.
 * Seconds without rows are left out rather than drawn as zero latency.
 */
export function latencyPerSecond(
  rows: Array<{ loadedAt: number; latencyMs: number }>,
  startMs: number,
): LatencyPoint[] {
  const buckets = new Map<number, number[]>();
  for (const r of rows) {
    const second = Math.floor((r.loadedAt - startMs) / 1000);
    if (second < 0) continue;
    let b = buckets.get(second);
    if (!b) buckets.set(second, (b = []));
    b.push(r.latencyMs);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([second, values]) => {
      values.sort((a, b) => a - b);
      return {
        second,
        rows: values.length,
        p50: percentile(values, 50),
        p99: percentile(values, 99),
        max: values[values.length - 1]!,
      };
    });
}
