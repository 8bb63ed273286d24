// The benchmark's sink choice (`--sink sqlite|postgres|both`): what the flag accepts, and that each
// drain's ratio is taken against the ceiling of its own sink in the same repeat.

import { describe, expect, it } from 'vitest';
import { BenchParamError, parseParams } from '../../scripts/bench/params';
import { summarize, type RepeatResult } from '../../scripts/bench/report';
import { drainKey, sinkOfDrain } from '../../scripts/bench/sinks';
import type { DrainResult } from '../../scripts/bench/drain';

const drain = (messagesPerSecond: number) => ({ messagesPerSecond }) as DrainResult;
const ceiling = (messagesPerSecond: number) => ({ seconds: 1, messagesPerSecond, writes: 1 });

describe('the benchmark sink choice', () => {
  it('measures SQLite by default, and PostgreSQL or both when asked', () => {
    expect(parseParams([], {}).sinks).toEqual(['sqlite']);
    expect(parseParams(['--sink', 'postgres'], {}).sinks).toEqual(['postgres']);
    expect(parseParams([], { BENCH_SINK: 'both' }).sinks).toEqual(['sqlite', 'postgres']);
    expect(() => parseParams(['--sink', 'mysql'], {})).toThrow(/BENCH_SINK=mysql .*sqlite, postgres or both/);
    expect(() => parseParams(['--sink', 'toString'], {})).toThrow(BenchParamError);
    expect(() => parseParams(['--variants', 'a@b'], {})).toThrow(/must not contain "@"/);
  });

  it('names a drain into PostgreSQL apart from the same variant into SQLite', () => {
    expect(drainKey('baseline', 'sqlite')).toBe('baseline');
    expect(drainKey('baseline', 'postgres')).toBe('baseline@postgres');
    expect(sinkOfDrain('records@postgres')).toBe('postgres');
    expect(sinkOfDrain('records')).toBe('sqlite');
  });

  it("takes each drain's ratio against the ceiling of its own sink, in the same repeat", () => {
    const repeats: RepeatResult[] = [
      {
        prefillSeconds: 1,
        ceiling: ceiling(100_000),
        ceilingPostgres: ceiling(40_000),
        drains: { baseline: drain(50_000), 'baseline@postgres': drain(30_000) },
      },
    ];
    const { rows, targets } = summarize(repeats, ['baseline@postgres', 'baseline'], 100_000, undefined, 1_000);
    const value = (label: string) => rows.find((r) => r.label === label)?.spread?.median;
    expect(value('ceiling, kafkajs → PostgreSQL')).toBe(40_000);
    expect(value('drain [baseline@postgres] / ceiling')).toBeCloseTo(0.75);
    expect(value('drain [baseline] / ceiling')).toBeCloseTo(0.5);
    expect(value('drain [baseline] / [baseline@postgres]')).toBeCloseTo(50 / 30);
    // With PostgreSQL alone, the target is met or missed against PostgreSQL's own ceiling.
    expect(targets[0]).toMatchObject({
      target: expect.stringContaining('[baseline@postgres]'),
      value: '0.75 at the least (median 0.75)',
    });
  });
});
