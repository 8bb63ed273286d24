// The worker's event-loop delay over a window of the benchmark, from the worker's own metrics
// endpoint (METRICS_PORT): prom-client's nodejs_eventloop_lag_* gauges are set from a histogram of
// the loop's delays when they are scraped, and the histogram is then emptied. So a scrape at the
// window's start empties it and one at its end reads the window. A long delay there is time every
// consume call, workflow task and load waited for the worker's one main thread.

import { createServer } from 'node:net';

export interface EventLoopDelay {
  p99Ms: number;
  maxMs: number;
}

/** A TCP port free on loopback now (for the worker's METRICS_PORT). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The delay gauges of a Prometheus text exposition, in ms; undefined if either is missing. */
export function eventLoopDelayOf(metrics: string): EventLoopDelay | undefined {
  const ms = (name: string) => {
    // Label values are quoted and may hold any character (a group ID with a brace, say).
    const line = new RegExp(`^${name}(?:\\{(?:[^"}]|"(?:[^"\\\\]|\\\\.)*")*\\})? (\\S+)$`, 'm').exec(metrics);
    return line ? Number(line[1]) * 1000 : undefined;
  };
  const p99Ms = ms('nodejs_eventloop_lag_p99_seconds');
  const maxMs = ms('nodejs_eventloop_lag_max_seconds');
  return p99Ms === undefined || maxMs === undefined ? undefined : { p99Ms, maxMs };
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
