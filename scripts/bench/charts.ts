// The benchmark's charts as Vega-Lite specs, built from a results JSON (what scripts/bench.ts
// writes): drain throughput against the ceiling per repeat, and steady-state lag and latency over
// time. Pure data → spec; scripts/bench/chart-files.ts renders them to SVG and writes the files.
//
// The drains' series come from the data, not from a list: a drain under a new variant name
// (other settings, or `<variant>@postgres` for the PostgreSQL sink) is one more key in a repeat's
// `drains` and so one more bar. Each sink has its ceiling (CEILINGS), and a drain's label gives its
// ratio to the ceiling of its own sink in the same repeat (sinks.ts says which sink a drain wrote).

import type { TopLevelSpec } from 'vega-lite';
import { sinkOfDrain, type SinkKind } from './sinks';
import type { CeilingResult } from './ceiling';
import type { DrainResult } from './drain';
import type { SteadyResult } from './steady';
import type { LagPoint, LatencyPoint } from './timeline';

/** The part of a results JSON the charts read. Older files lack the steady samples. */
export interface ChartInput {
  startedAt: string;
  params: { messages: number };
  repeats: Array<{
    ceiling?: Pick<CeilingResult, 'messagesPerSecond'>;
    ceilingPostgres?: Pick<CeilingResult, 'messagesPerSecond'>;
    drains: Record<string, Pick<DrainResult, 'messagesPerSecond'>>;
  }>;
  steady?: Pick<SteadyResult, 'desiredRate'> &
    Partial<Pick<SteadyResult, 'sent' | 'achievedRate' | 'lagOverTime' | 'latencyOverTime'>>;
}

/**
 * Throughputs a repeat measured beside the drains, each drawn as a series. The read-only ceiling is
 * left out on purpose: at 5–10× the others it would flatten every other bar.
 */
export const CEILINGS: Array<{
  series: string;
  sink: SinkKind;
  pick: (r: ChartInput['repeats'][number]) => number | undefined;
}> = [
  { series: 'ceiling: kafkajs → sink', sink: 'sqlite', pick: (r) => r.ceiling?.messagesPerSecond },
  { series: 'ceiling: kafkajs → PostgreSQL', sink: 'postgres', pick: (r) => r.ceilingPostgres?.messagesPerSecond },
];

export const drainSeries = (variant: string) => `drain [${variant}]`;

export interface Point {
  x: number | string;
  series: string;
  value: number;
  /** Text over a bar. */
  label?: string;
}

const msgs = (x: number) => Math.round(x).toLocaleString('en-US');

/**
 * One point per repeat and series: the ceilings first, then the drains in the order they appear.
 * A drain's label also gives its ratio to the ceiling of its own sink in the same repeat, the
 * figure docs/BENCHMARKS.md quotes (ratios are taken within a repeat, never across).
 */
export function drainPoints(input: ChartInput): Point[] {
  const points: Point[] = [];
  input.repeats.forEach((r, i) => {
    const repeat = `repeat ${i + 1}`;
    const ceilings = new Map<SinkKind, number>();
    for (const c of CEILINGS) {
      const value = c.pick(r);
      if (value === undefined || !Number.isFinite(value)) continue;
      ceilings.set(c.sink, value);
      points.push({ x: repeat, series: c.series, value, label: msgs(value) });
    }
    for (const [variant, d] of Object.entries(r.drains)) {
      const value = d.messagesPerSecond;
      if (!Number.isFinite(value)) continue;
      const ceiling = ceilings.get(sinkOfDrain(variant));
      const ratio = ceiling ? ` (${(value / ceiling).toFixed(2)})` : '';
      points.push({ x: repeat, series: drainSeries(variant), value, label: `${msgs(value)}${ratio}` });
    }
  });
  return points;
}

export const LAG_SERIES = { endToEnd: 'lag: topic − sink', committed: 'lag: committed offsets' } as const;
/** Highest first: the legend reads in the order the lines lie, and p99 is drawn over max where they meet. */
export const LATENCY_SERIES = { max: 'latency max', p99: 'latency p99', p50: 'latency p50' } as const;

export function lagPoints(lag: LagPoint[]): Point[] {
  return lag.flatMap((p) => [
    { x: p.second, series: LAG_SERIES.endToEnd, value: p.endToEnd },
    { x: p.second, series: LAG_SERIES.committed, value: p.committed },
  ]);
}

export function latencyPoints(latency: LatencyPoint[]): Point[] {
  return latency.flatMap((p) => [
    { x: p.second, series: LATENCY_SERIES.max, value: p.max },
    { x: p.second, series: LATENCY_SERIES.p99, value: p.p99 },
    { x: p.second, series: LATENCY_SERIES.p50, value: p.p50 },
  ]);
}

const WIDTH = 640;
/** White background and a system font: the SVG reads the same on GitHub in light and dark mode. */
const CONFIG = {
  background: 'white',
  font: 'sans-serif',
  view: { stroke: 'transparent' },
  title: { anchor: 'start' },
} as const;
/** Legends below the plot, with room for a whole series name (Vega cuts labels at 160 px). */
const LEGEND = { orient: 'bottom', direction: 'horizontal', labelLimit: 400 } as const;

/** Grouped bars: per repeat, one bar per series, labelled with its msg/s. */
export function drainChart(input: ChartInput): TopLevelSpec | undefined {
  const values = drainPoints(input);
  if (!values.some((p) => p.series.startsWith('drain ['))) return undefined;
  const series = [...new Set(values.map((p) => p.series))];
  const encoding = {
    x: { field: 'x', type: 'nominal', title: null, axis: { labelAngle: 0 } },
    xOffset: { field: 'series', type: 'nominal', sort: series },
    y: { field: 'value', type: 'quantitative', title: 'messages per second' },
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Backlog drain vs the ceiling, per repeat',
      subtitle: [
        `${msgs(input.params.messages)} messages per drain; bench run ${input.startedAt}`,
        "labels: msg/s (a drain's ratio to the ceiling of the same repeat)",
      ],
    },
    width: WIDTH,
    height: 320,
    config: CONFIG,
    data: { values },
    layer: [
      {
        mark: 'bar',
        encoding: {
          ...encoding,
          color: { field: 'series', type: 'nominal', sort: series, title: null, legend: LEGEND },
        },
      },
      {
        mark: { type: 'text', dy: -6, fontSize: 10 },
        encoding: { ...encoding, text: { field: 'label', type: 'nominal' } },
      },
    ],
  };
}

/** Two panels on one time axis: lag (messages) above, latency of the rows loaded each second below. */
export function steadyChart(input: ChartInput): TopLevelSpec | undefined {
  const steady = input.steady;
  if (!steady?.lagOverTime?.length || !steady.latencyOverTime?.length) return undefined;
  const x = { field: 'x', type: 'quantitative', title: 'seconds since the producer started' } as const;
  // When the producer stopped (it sent `sent` messages at its achieved rate): lag that grows until
  // this line and falls after it means the pipeline fell behind and caught up once the load ended.
  const stoppedAt = steady.sent && steady.achievedRate ? steady.sent / steady.achievedRate : undefined;
  const stop = { values: [{ x: stoppedAt, label: 'producer stops' }] };
  const stopRule =
    stoppedAt === undefined
      ? []
      : [
          { data: stop, mark: { type: 'rule' as const, color: 'gray', strokeDash: [2, 2] }, encoding: { x } },
          {
            data: stop,
            mark: { type: 'text' as const, align: 'left' as const, baseline: 'top' as const, dx: 4, y: 2 },
            encoding: { x, text: { field: 'label', type: 'nominal' as const } },
          },
        ];
  const panel = (values: Point[], title: string, order: string[]) => ({
    width: WIDTH,
    height: 200,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: { size: 12 } },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title },
          color: { field: 'series', type: 'nominal', sort: order, title: null, legend: LEGEND },
          // Lines that often lie on top of each other (p99 and max) stay apart by their dashes.
          strokeDash: { field: 'series', type: 'nominal', sort: order, title: null, legend: LEGEND },
        },
      } as const,
      ...stopRule,
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Steady state at ${steady.desiredRate.toLocaleString('en-US')} msg/s: lag and latency over time`,
      subtitle: [
        'lag sampled every second (less often when Kafka answers slowly)',
        `latency of the rows loaded in each second; bench run ${input.startedAt}`,
      ],
    },
    config: CONFIG,
    // One time axis for both panels; each keeps its own colours, as the two legends name different things.
    resolve: { scale: { x: 'shared', color: 'independent', strokeDash: 'independent' } },
    vconcat: [
      panel(lagPoints(steady.lagOverTime), 'lag (messages)', Object.values(LAG_SERIES)),
      panel(latencyPoints(steady.latencyOverTime), 'latency (ms)', Object.values(LATENCY_SERIES)),
    ],
  };
}
