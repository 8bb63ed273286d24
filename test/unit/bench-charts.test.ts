// The benchmark's charts, from a small fixed results object: which series and labels the specs and
// the rendered SVG carry. Rendering is Vega in Node (SVG, no canvas): no server, no browser.

import { describe, expect, it } from 'vitest';
import { renderCharts } from '../../scripts/bench/chart-files';
import { drainChart, drainPoints, steadyChart, type ChartInput } from '../../scripts/bench/charts';

const results: ChartInput = {
  startedAt: '2026-12-01T04-00-00',
  params: { messages: 100_000 },
  repeats: [
    { ceiling: { messagesPerSecond: 91_234 }, drains: { baseline: { messagesPerSecond: 45_000 } } },
    { ceiling: { messagesPerSecond: 95_000 }, drains: { baseline: { messagesPerSecond: 47_321 } } },
  ],
  steady: {
    desiredRate: 5000,
    sent: 12_500,
    achievedRate: 5000,
    lagOverTime: [
      { second: 0, endToEnd: 0, committed: 0 },
      { second: 1, endToEnd: 4_000, committed: 3_500 },
      { second: 2, endToEnd: 2_000, committed: 1_500 },
    ],
    latencyOverTime: [
      { second: 1, rows: 4_000, p50: 900, p99: 1_800, max: 2_100 },
      { second: 2, rows: 5_000, p50: 1_000, p99: 2_900, max: 3_300 },
    ],
  },
};

/** The texts Vega drew (legend entries, titles, axis labels), entities decoded. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1]!.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'),
  );
}

describe('bench charts', () => {
  it("draws the ceiling and each drain per repeat, with their msg/s and the drain's ratio to the ceiling", async () => {
    const { drain } = await renderCharts(results);
    expect(drain).toMatch(/^<svg/);
    const shown = texts(drain!);
    for (const label of [
      'Backlog drain vs the ceiling, per repeat',
      'ceiling: kafkajs → sink',
      'drain [baseline]',
      'repeat 1',
      'repeat 2',
      'messages per second',
      '91,234',
      '47,321 (0.50)', // a drain's ratio to the ceiling of its own repeat
    ])
      expect(shown).toContain(label);
  });

  it("takes a PostgreSQL drain's ratio against the PostgreSQL ceiling of its repeat, not the SQLite one", () => {
    const both: ChartInput = {
      ...results,
      repeats: [
        {
          ceiling: { messagesPerSecond: 60_000 },
          ceilingPostgres: { messagesPerSecond: 30_000 },
          drains: { baseline: { messagesPerSecond: 30_000 }, 'baseline@postgres': { messagesPerSecond: 15_000 } },
        },
      ],
    };
    const labels = Object.fromEntries(drainPoints(both).map((p) => [p.series, p.label]));
    expect(labels).toEqual({
      'ceiling: kafkajs → sink': '60,000',
      'ceiling: kafkajs → PostgreSQL': '30,000',
      'drain [baseline]': '30,000 (0.50)',
      'drain [baseline@postgres]': '15,000 (0.50)',
    });
  });

  it('draws steady-state lag and latency over time in two panels', async () => {
    const { steady } = await renderCharts(results);
    const shown = texts(steady!);
    for (const label of [
      'Steady state at 5,000 msg/s: lag and latency over time',
      'lag: topic − sink',
      'lag: committed offsets',
      'latency p50',
      'latency p99',
      'latency max',
      'lag (messages)',
      'latency (ms)',
      'seconds since the producer started',
      'producer stops', // at sent / achieved rate = 2.5 s
    ])
      expect(shown).toContain(label);
  });

  it('adds a second sink’s drain as one more series, with no change to the chart code', async () => {
    const twoSinks: ChartInput = {
      ...results,
      repeats: results.repeats.map((r) => ({
        ...r,
        drains: { ...r.drains, postgres: { messagesPerSecond: 30_000 } },
      })),
    };
    expect(new Set(drainPoints(twoSinks).map((p) => p.series))).toEqual(
      new Set(['ceiling: kafkajs → sink', 'drain [baseline]', 'drain [postgres]']),
    );
    const { drain } = await renderCharts(twoSinks);
    expect(texts(drain!)).toContain('drain [postgres]');
  });

  it('leaves out a chart whose scenario did not run or whose results predate the samples', () => {
    expect(drainChart({ ...results, repeats: [{ ceiling: { messagesPerSecond: 1 }, drains: {} }] })).toBeUndefined();
    expect(steadyChart({ ...results, steady: { desiredRate: 5000 } })).toBeUndefined();
    expect(steadyChart({ ...results, steady: undefined })).toBeUndefined();
  });
});
