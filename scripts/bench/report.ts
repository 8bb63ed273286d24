// Turns the raw results into the summary: min/median/max over repeats, ratios taken within one
// repeat (the ceiling and the drains of a repeat ran back to back on the same data), the targets,
// and a plain-text table for the terminal and docs/BENCHMARKS.md.

import type { DrainResult } from './drain';
import type { CeilingResult } from './ceiling';
import { LAUNCH_STEPS, type LaunchResult } from './launch';
import type { ScaleResult } from './scale';
import { sinkOfDrain } from './sinks';
import type { IdleResult } from './idle';
import type { SteadyResult } from './steady';
import { STAGES } from './latency-stages';

export interface RepeatResult {
  prefillSeconds: number;
  /** Each Kafka client's bare consumer, reading only; by KAFKA_CLIENT name, the reference first. */
  ceilingReads?: Record<string, CeilingResult>;
  /** The reference client's bare consumer into SQLite. */
  ceiling?: CeilingResult;
  /** The bare consumer into PostgreSQL (`--sink postgres|both`). */
  ceilingPostgres?: CeilingResult;
  /** By drainKey(): variant name, `@postgres` when it drained into PostgreSQL. */
  drains: Record<string, DrainResult>;
  /** `npm run worker` launched on a backlog: first row, and where the time went. */
  launch?: LaunchResult;
  /** The scale scenario's drains (scale.ts), the reference first. */
  scale?: ScaleResult[];
}

/** A drain's ceiling: the bare consumer writing into the same sink, in the same repeat. */
function ceilingOf(r: RepeatResult, drain: string): CeilingResult | undefined {
  return sinkOfDrain(drain) === 'postgres' ? r.ceilingPostgres : r.ceiling;
}

export interface Spread {
  min: number;
  median: number;
  max: number;
}

/** The worker's memory target at the default settings (issue: a quarter of what it took). */
const RSS_TARGET_MIB = 256;

export function spread(values: number[]): Spread {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { min: NaN, median: NaN, max: NaN };
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { min: v[0]!, median, max: v[v.length - 1]! };
}

export interface Row {
  label: string;
  spread?: Spread;
  text?: string;
  unit: string;
}

export function summarize(
  repeats: RepeatResult[],
  variants: string[],
  messages: number,
  steady: SteadyResult | undefined,
  /** MAX_BATCH_WAIT of the reference settings: the steady latency target is 1 s above it. */
  maxBatchWaitMs: number,
  idle?: IdleResult,
) {
  const rows: Row[] = [];
  const add = (label: string, values: number[], unit: string) => {
    if (values.some((x) => Number.isFinite(x))) rows.push({ label, spread: spread(values), unit });
  };
  const clients = [...new Set(repeats.flatMap((r) => Object.keys(r.ceilingReads ?? {})))];
  const readRate = (r: RepeatResult, client: string | undefined) =>
    client === undefined ? NaN : (r.ceilingReads?.[client]?.messagesPerSecond ?? NaN);
  for (const client of clients) {
    add(
      `ceiling, read only [${client}]`,
      repeats.map((r) => readRate(r, client)),
      'msg/s',
    );
    if (client !== clients[0])
      add(
        `  read only [${client}] / [${clients[0]}]`,
        repeats.map((r) => readRate(r, client) / readRate(r, clients[0])),
        'ratio',
      );
  }
  add(
    `ceiling, ${clients[0] ?? 'kafkajs'} → sink`,
    repeats.map((r) => r.ceiling?.messagesPerSecond ?? NaN),
    'msg/s',
  );
  add(
    `ceiling, ${clients[0] ?? 'kafkajs'} → PostgreSQL`,
    repeats.map((r) => r.ceilingPostgres?.messagesPerSecond ?? NaN),
    'msg/s',
  );
  const baseline = variants[0]!;
  for (const v of variants) {
    const d = repeats.map((r) => r.drains[v]);
    const per1k = (f: (x: DrainResult) => number) => d.map((x) => (x ? (f(x) / messages) * 1000 : NaN));
    add(
      `drain [${v}]`,
      d.map((x) => x?.messagesPerSecond ?? NaN),
      'msg/s',
    );
    add(
      `  first row after [${v}]`,
      d.map((x) => x?.firstRowSeconds ?? NaN),
      's',
    );
    add(
      `  rate after the first row [${v}]`,
      d.map((x) => x?.afterFirstRowPerSecond ?? NaN),
      'msg/s',
    );
    add(
      `drain [${v}] / ceiling`,
      repeats.map((r) => (r.drains[v]?.messagesPerSecond ?? NaN) / (ceilingOf(r, v)?.messagesPerSecond ?? NaN)),
      'ratio',
    );
    if (v !== baseline) {
      add(
        `drain [${v}] / [${baseline}]`,
        repeats.map((r) => (r.drains[v]?.messagesPerSecond ?? NaN) / (r.drains[baseline]?.messagesPerSecond ?? NaN)),
        'ratio',
      );
    }
    add(
      `  worker CPU per 1k msgs [${v}]`,
      per1k((x) => x.workerCpuSeconds),
      's',
    );
    add(
      `  Temporal server CPU per 1k msgs [${v}]`,
      per1k((x) => x.temporalCpuSeconds),
      's',
    );
    add(
      `  Kafka broker CPU per 1k msgs [${v}]`,
      per1k((x) => x.kafkaCpuSeconds),
      's',
    );
    add(
      `  worker peak RSS [${v}]`,
      d.map((x) => x?.workerPeakRssMiB ?? NaN),
      'MiB',
    );
    add(
      `  workflows per 1k msgs [${v}]`,
      d.map((x) => x?.cost?.workflowsPer1k ?? NaN),
      '',
    );
    add(
      `  history KiB per 1k msgs [${v}]`,
      d.map((x) => (x?.cost?.historyBytesPer1k ?? NaN) / 1024),
      'KiB',
    );
    add(
      `  history events per 1k msgs [${v}]`,
      d.map((x) => x?.cost?.historyEventsPer1k ?? NaN),
      '',
    );
    add(
      `  task round trips per batch [${v}]`,
      d.map((x) => x?.cost?.perBatch.roundTrips ?? NaN),
      '',
    );
    add(
      `  run history KiB [${v}]`,
      d.map((x) => (x?.cost?.runHistoryBytes ?? NaN) / 1024),
      'KiB',
    );
  }
  const launches = repeats.map((r) => r.launch);
  add(
    'first row after launching npm run worker',
    launches.map((l) => l?.firstRowSeconds ?? NaN),
    's',
  );
  for (const [step, label] of LAUNCH_STEPS)
    add(
      `  launch → ${label}`,
      launches.map((l) => l?.steps[step] ?? NaN),
      's',
    );
  if (steady) {
    rows.push({
      label: `steady ${steady.desiredRate}/s: achieved producer rate`,
      text: steady.achievedRate.toFixed(0),
      unit: 'msg/s',
    });
    for (const p of ['p50', 'p95', 'p99', 'max'])
      rows.push({ label: `steady latency ${p}`, text: fmt(steady.latencyMs[p]!), unit: 'ms' });
    rows.push({ label: 'steady max lag, end to end (topic − sink)', text: fmt(steady.maxEndToEndLag), unit: 'msgs' });
    rows.push({ label: 'steady max lag, committed offsets', text: fmt(steady.maxCommittedLag), unit: 'msgs' });
    rows.push({ label: 'steady worker peak RSS', text: fmt(steady.workerPeakRssMiB), unit: 'MiB' });
    rows.push({ label: 'steady worker CPU (cores busy)', text: steady.workerCpuPerSecond.toFixed(2), unit: '' });
    const delay = steady.workerEventLoopDelay;
    if (delay)
      rows.push({
        label: 'steady worker event-loop delay p99 / max',
        text: `${fmt(delay.p99Ms)} / ${fmt(delay.maxMs)}`,
        unit: 'ms',
      });
    const stages = steady.latencyStages;
    rows.push({
      label: '  latency stages: rows placed',
      text: `${fmt(stages.rows)} of ${fmt(steady.sent)}`,
      unit: 'rows',
    });
    for (const stage of STAGES)
      rows.push({
        label: `  latency stage ${stage}: p50 / p99 / slowest 1%`,
        text: [stages.p50[stage], stages.p99[stage], stages.tail[stage]].map((v) => fmt(Math.round(v))).join(' / '),
        unit: 'ms',
      });
  }
  if (idle) {
    const h = idle.perSensorHour;
    const per = 'per sensor per idle hour';
    rows.push({ label: `idle: history events ${per}`, text: fmt(h.events), unit: '' });
    rows.push({ label: `idle: activities ${per}`, text: fmt(h.activities), unit: '' });
    rows.push({ label: `idle: workflow tasks ${per}`, text: fmt(h.workflowTasks), unit: '' });
    rows.push({ label: `idle: timers ${per}`, text: fmt(h.timers), unit: '' });
    rows.push({ label: `idle: wake signals ${per}`, text: fmt(h.wakes), unit: '' });
  }

  const baseRatio = spread(
    repeats.map(
      (r) => (r.drains[baseline]?.messagesPerSecond ?? NaN) / (ceilingOf(r, baseline)?.messagesPerSecond ?? NaN),
    ),
  );
  const baseRate = spread(repeats.map((r) => r.drains[baseline]?.messagesPerSecond ?? NaN));
  const targets: Array<{ target: string; value: string; met: boolean }> = [];
  // Targets of scenarios that did not run are left out rather than shown as missed.
  if (Number.isFinite(baseRatio.median)) {
    // In every repeat, not only at the median: a user's backlog is drained once.
    targets.push({
      target: `backlog drain ≥ 0.8 of the ceiling in every repeat [${baseline}]`,
      value: `${baseRatio.min.toFixed(2)} at the least (median ${baseRatio.median.toFixed(2)})`,
      met: baseRatio.min >= 0.8,
    });
  }
  if (Number.isFinite(baseRate.median)) {
    targets.push({
      target: `≥ 20,000 msg/s end to end [${baseline}]`,
      value: `${fmt(baseRate.median)} msg/s`,
      met: baseRate.median >= 20_000,
    });
  }
  const drainRss = spread(repeats.map((r) => r.drains[baseline]?.workerPeakRssMiB ?? NaN));
  if (Number.isFinite(drainRss.max)) {
    targets.push({
      target: `worker peak RSS ≤ ${RSS_TARGET_MIB} MiB while draining, every repeat [${baseline}]`,
      value: `${fmt(drainRss.max)} MiB at the most`,
      met: drainRss.max <= RSS_TARGET_MIB,
    });
  }
  const launch = spread(launches.map((l) => l?.firstRowSeconds ?? NaN));
  if (Number.isFinite(launch.median)) {
    const caches = [...new Set(launches.flatMap((l) => (l ? [l.bundleCache] : [])))].join('/');
    targets.push({
      target: 'first row ≤ 2 s after the worker is launched',
      value: `${launch.median.toFixed(1)} s (workflow bundle cache ${caches})`,
      met: launch.median <= 2,
    });
  }
  if (steady) {
    const limit = maxBatchWaitMs + 1_000;
    targets.push(
      {
        target: `steady ${steady.desiredRate}/s: lag bounded`,
        value: `max ${fmt(steady.maxEndToEndLag)} msgs (last third ${fmt(steady.lagLastThird)})`,
        met: steady.lagBounded,
      },
      {
        target: `steady ${steady.desiredRate}/s: p99 ≤ MAX_BATCH_WAIT + 1 s = ${limit / 1000} s`,
        value: `${fmt(steady.latencyMs.p99!)} ms`,
        met: steady.latencyMs.p99! <= limit,
      },
      {
        target: `steady ${steady.desiredRate}/s: worker peak RSS ≤ ${RSS_TARGET_MIB} MiB`,
        value: `${fmt(steady.workerPeakRssMiB)} MiB`,
        met: steady.workerPeakRssMiB <= RSS_TARGET_MIB,
      },
    );
  }
  return { rows, targets };
}

export function renderTable(rows: Row[], repeats: number): string {
  const header = repeats > 1 ? ['measure', 'min', 'median', 'max', 'unit'] : ['measure', 'value', 'unit'];
  const body = rows.map((r) => {
    if (r.text !== undefined) return repeats > 1 ? [r.label, '', r.text, '', r.unit] : [r.label, r.text, r.unit];
    const s = r.spread!;
    const f = r.unit === 'ratio' ? (x: number) => x.toFixed(2) : fmt;
    return repeats > 1 ? [r.label, f(s.min), f(s.median), f(s.max), r.unit] : [r.label, f(s.median), r.unit];
  });
  return markdownTable(header, body);
}

export function renderTargets(targets: Array<{ target: string; value: string; met: boolean }>): string {
  return markdownTable(
    ['target', 'measured (median)', 'met'],
    targets.map((t) => [t.target, t.value, t.met ? 'yes' : 'NO']),
  );
}

export function markdownTable(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...body.map(line),
  ].join('\n');
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return '–';
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 1) return x.toFixed(1);
  return x.toPrecision(2);
}
