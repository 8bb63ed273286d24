// The worker's event-loop delay over a window of the benchmark, from the worker's own metrics
// endpoint (METRICS_PORT): prom-client's nodejs_eventloop_lag_* gauges are set from a histogram of
// the loop's delays when they are scraped, and the histogram is then emptied. So a scrape at the
// window's start empties it and one at its end reads the window. It says how late the worker's main
// thread ran what was due (Kafka's fetches, the SDK's hand-offs, the sink's replies); workflow code
// runs on the SDK's threads.

import { has, parseMetrics, total } from '../prometheus-text';

export interface EventLoopDelay {
  p99Ms: number;
  maxMs: number;
}

/** The delay gauges of a Prometheus text exposition, in ms; undefined if either is missing. */
export function eventLoopDelayOf(metrics: string): EventLoopDelay | undefined {
  const samples = parseMetrics(metrics);
  const p99 = 'nodejs_eventloop_lag_p99_seconds';
  const max = 'nodejs_eventloop_lag_max_seconds';
  if (!has(samples, p99) || !has(samples, max)) return undefined;
  // One sample each: the worker's one process.
  return { p99Ms: total(samples, p99) * 1000, maxMs: total(samples, max) * 1000 };
}

/** Scrapes the worker's metrics on `port`; undefined (the figure left out) if that fails. */
export async function scrapeEventLoopDelay(port: number): Promise<EventLoopDelay | undefined> {
  try {
    // A worker stuck in its event loop does not answer: leave the figure out rather than wait.
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return eventLoopDelayOf(await response.text());
  } catch {
    return undefined;
  }
}
