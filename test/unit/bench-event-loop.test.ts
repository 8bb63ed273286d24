// The steady benchmark's event-loop delay figure (scripts/bench/event-loop-delay.ts): read from the
// worker's metrics as prom-client exposes them, and shown as a row of `npm run bench`.

import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { eventLoopDelayOf } from '../../scripts/bench/event-loop-delay';
import { freePort, parseMetrics } from '../../scripts/prometheus-text';
import { STAGES } from '../../scripts/bench/latency-stages';
import { summarize } from '../../scripts/bench/report';
import type { SteadyResult } from '../../scripts/bench/steady';

/** Part of a scrape of `npm run worker`'s METRICS_PORT (the pipeline's default labels on every line). */
const SCRAPE = [
  '# HELP nodejs_eventloop_lag_max_seconds The maximum recorded event loop delay.',
  '# TYPE nodejs_eventloop_lag_max_seconds gauge',
  'nodejs_eventloop_lag_max_seconds{topic="events",group="microbatch"} 0.121110527',
  '# HELP nodejs_eventloop_lag_p90_seconds The 90th percentile of the recorded event loop delays.',
  'nodejs_eventloop_lag_p90_seconds{topic="events",group="microbatch"} 0.027492351',
  '# HELP nodejs_eventloop_lag_p99_seconds The 99th percentile of the recorded event loop delays.',
  '# TYPE nodejs_eventloop_lag_p99_seconds gauge',
  'nodejs_eventloop_lag_p99_seconds{topic="events",group="microbatch"} 0.036044799',
].join('\n');

describe('the worker event-loop delay figure', () => {
  it('reads the p99 and the max delay, in ms, from a scrape', () => {
    const delay = eventLoopDelayOf(SCRAPE)!;
    expect(delay.p99Ms).toBeCloseTo(36.04, 2);
    expect(delay.maxMs).toBeCloseTo(121.11, 2);
  });

  it('reads gauges without labels, or with label values holding braces and quotes', () => {
    const bare = SCRAPE.replace(/\{[^\n]*\} /g, ' ');
    expect(eventLoopDelayOf(bare)?.p99Ms).toBeCloseTo(36.04, 2);
    const odd = SCRAPE.replace(/group="microbatch"/g, 'group="a}b\\"c"');
    expect(eventLoopDelayOf(odd)?.maxMs).toBeCloseTo(121.11, 2);
    expect(parseMetrics(odd).find((s) => s.name === 'nodejs_eventloop_lag_max_seconds')?.labels).toEqual({
      topic: 'events',
      group: 'a}b"c',
    });
  });

  it('reads nothing when either gauge is missing', () => {
    expect(eventLoopDelayOf('pipeline_records_consumed_total 5')).toBeUndefined();
    expect(eventLoopDelayOf(SCRAPE.replace(/^nodejs_eventloop_lag_max_seconds.*$/m, ''))).toBeUndefined();
    expect(eventLoopDelayOf(SCRAPE.replace(/^nodejs_eventloop_lag_p99_seconds.*$/m, ''))).toBeUndefined();
  });

  it('finds a loopback port the worker can then listen on', async () => {
    const port = await freePort();
    // A real port, not 0 (which any listen accepts, and which would tell the worker nothing).
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });

  it('shows the steady run delay as a row when it was read', () => {
    const zero = Object.fromEntries(STAGES.map((s) => [s, 0])) as SteadyResult['latencyStages']['p50'];
    const steady: SteadyResult = {
      desiredRate: 10_000,
      achievedRate: 10_000,
      sent: 100,
      latencyMs: { p50: 1, p95: 1, p99: 1, max: 1 },
      maxEndToEndLag: 0,
      maxCommittedLag: 0,
      lagLastThird: 0,
      lagFirstTwoThirds: 0,
      lagBounded: true,
      workerPeakRssMiB: 300,
      workerCpuPerSecond: 0.5,
      workerEventLoopDelay: { p99Ms: 36.04, maxMs: 121.1 },
      lagOverTime: [],
      latencyOverTime: [],
      latencyStages: { rows: 0, p50: zero, p99: zero, tail: zero },
    };
    const row = (s: SteadyResult) =>
      summarize([], ['baseline'], 100, s, 1_000).rows.find((r) => r.label.includes('event-loop delay'));
    expect(row(steady)).toMatchObject({ text: '36.0 / 121', unit: 'ms' });
    expect(row({ ...steady, workerEventLoopDelay: undefined })).toBeUndefined();
  });
});
