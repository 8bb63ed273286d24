// The worker's side of src/workflows/run-metrics-interceptor.ts: the sinks that count MicroBatchRun
// starts and ends and time them. Registered on every worker of a pipeline (src/workers/pipeline.ts),
// since every worker's bundle carries the interceptor.

import type { InjectedSinks } from '@temporalio/worker';
import type { RunMetricsSinks } from '../workflows/run-metrics-interceptor';
import type { PipelineMetrics } from './pipeline-metrics';

export function runMetricsSinks(metrics: PipelineMetrics): InjectedSinks<RunMetricsSinks> {
  return {
    runMetrics: {
      started: { fn: () => metrics.runsStarted.inc(), callDuringReplay: false },
      ended: {
        fn: (info, outcome, failureType) => {
          if (outcome === 'completed') metrics.runsCompleted.inc();
          else metrics.runsFailed.inc({ type: failureType ?? 'unknown' });
          // startTime is the start of the continue-as-new chain: the run as the user sees it.
          metrics.runDuration.observe({ outcome }, (Date.now() - info.startTime.getTime()) / 1000);
        },
        callDuringReplay: false,
      },
    },
  };
}
