// The scale scenario's cases and table (scripts/bench/scale.ts): each case's ratio is taken against
// the reference drain (P partitions, one worker process) of the same repeat, and CPU is shown per
// 1,000 messages.

import { describe, expect, it } from 'vitest';
import { renderScale, scaleCases, type ScaleCase, type ScaleResult } from '../../scripts/bench/scale';
import type { DrainResult } from '../../scripts/bench/drain';

const result = (c: ScaleCase, messagesPerSecond: number, fromKafka?: number): ScaleResult => ({
  ...c,
  drain: {
    messagesPerSecond,
    workerCpuSeconds: 2 * c.processes,
    temporalCpuSeconds: 1,
    kafkaCpuSeconds: 0.1,
    firstRowSeconds: 1.5,
  } as DrainResult,
  prefill: { seconds: 1, kafkaCpuSeconds: 0.5 },
  rejoins: c.processes,
  ...(fromKafka === undefined ? {} : { batchesFromKafka: fromKafka, batchesFromMemory: 10 - fromKafka }),
});

describe('the scale scenario', () => {
  it('compares 2× and 4× the partitions and two worker processes with P partitions and one', () => {
    expect(scaleCases(6)).toEqual([
      { name: '6p × 1 worker', partitions: 6, processes: 1 },
      { name: '12p × 1 worker', partitions: 12, processes: 1 },
      { name: '24p × 1 worker', partitions: 24, processes: 1 },
      { name: '6p × 2 workers', partitions: 6, processes: 2 },
    ]);
  });

  it("takes each case's ratio within its repeat and shows CPU per 1,000 messages", () => {
    // The two-process case says how many of its 10 batches were read back from Kafka.
    const repeat = (rates: number[], fromKafka: number) =>
      scaleCases(6).map((c, i) => result(c, rates[i]!, c.processes > 1 ? fromKafka : undefined));
    const repeats = [
      repeat([10_000, 9_000, 8_000, 15_000], 4),
      // A slower repeat: the ratios, not the rates, are what stay comparable.
      repeat([5_000, 4_500, 4_000, 7_500], 6),
    ];
    const table = renderScale(repeats, 100_000);
    const row = (name: string) =>
      table
        .split('\n')
        .find((l) => l.startsWith(`| ${name} `))!
        .split('|')
        .map((c) => c.trim())
        .slice(1, -1);
    expect(row('6p × 1 worker')).toEqual([
      '6p × 1 worker',
      '7,500',
      '1.00',
      '0.020',
      '0.010',
      '0.0010',
      '0.0050',
      '1.5',
      '–',
      '1 / 1',
    ]);
    expect(row('24p × 1 worker').slice(1, 3)).toEqual(['6,000', '0.80']);
    expect(row('6p × 2 workers')).toEqual([
      '6p × 2 workers',
      '11,250',
      '1.50',
      '0.040',
      '0.010',
      '0.0010',
      '0.0050',
      '1.5',
      '5 of 10',
      '2 / 2',
    ]);
  });
});
