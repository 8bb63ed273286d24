// The launch measure (scripts/bench/launch.ts): the steps of a worker's start read from its log, and
// the row and target `npm run bench` prints for them.

import { describe, expect, it } from 'vitest';
import { launchSteps, type LaunchResult } from '../../scripts/bench/launch';
import { summarize, type RepeatResult } from '../../scripts/bench/report';

const launchedAt = Date.parse('2026-12-01T08:16:54.567Z');

describe('the launch measure', () => {
  it("reads each step of a worker's start from its log, in seconds after the launch", () => {
    const log = [
      '08:16:56.024 INFO  [worker] connecting kafka=127.0.0.1:9092 kafkaSecurity=PLAINTEXT',
      '08:16:56.188 INFO  [worker] created topic topic=t.dlq partitions=6',
      '08:16:56.854 INFO  [worker] worker started roles=sensor,runs',
      '08:16:57.160 INFO  [worker] starting Kafka consumer replica=0 topic=t group=g',
      '08:16:57.165 INFO  [worker] sensor running workflowId=sensor-t-0@g',
      '08:16:57.166 INFO  [worker] starting Kafka consumer replica=1 topic=t group=g',
      '08:16:57.201 INFO  [worker] sensor running workflowId=sensor-t-1@g',
      'a line of something else',
    ].join('\n');
    expect(launchSteps(log, launchedAt)).toEqual({
      connecting: 1.457,
      workerStarted: 2.287,
      firstConsumer: 2.593,
      sensorsRunning: 2.634,
    });
  });

  it('counts a line logged after midnight as the next day', () => {
    const lateLaunch = Date.parse('2026-12-01T23:59:59.500Z');
    expect(launchSteps('00:00:01.000 INFO  [worker] connecting kafka=k', lateLaunch)).toEqual({ connecting: 1.5 });
  });

  it('shows the first row after the launch as a row, and as a target met at 2 s or less', () => {
    const launch = (firstRowSeconds: number): LaunchResult => ({
      firstRowSeconds,
      bundleCache: 'warm',
      steps: { connecting: 1.2, groupStable: firstRowSeconds - 1 },
    });
    const repeats: RepeatResult[] = [1.8, 2.4, 1.9].map((s) => ({ prefillSeconds: 1, drains: {}, launch: launch(s) }));
    const { rows, targets } = summarize(repeats, ['baseline'], 1000, undefined, 5000);
    expect(rows.find((r) => r.label === 'first row after launching npm run worker')?.spread).toEqual({
      min: 1.8,
      median: 1.9,
      max: 2.4,
    });
    expect(rows.find((r) => r.label.includes('consumer group first Stable'))?.spread?.median).toBeCloseTo(0.9);
    expect(targets).toEqual([
      {
        target: 'first row ≤ 2 s after the worker is launched',
        value: '1.9 s (workflow bundle cache warm)',
        met: true,
      },
    ]);
    const slow = summarize(
      [{ prefillSeconds: 1, drains: {}, launch: launch(6.2) }],
      ['baseline'],
      1000,
      undefined,
      5000,
    );
    expect(slow.targets[0]?.met).toBe(false);
  });
});
