// Tells the worker when a MicroBatchRun starts and ends, for the pipeline's metrics
// (src/metrics/run-sinks.ts records them). Bundled with the workflows as an interceptor module
// (src/workers/workflow-bundle.ts, bundleWorkflows): it changes nothing a workflow does or records in its
// history, so histories recorded without it replay the same.
//
// Why a workflow interceptor and sinks, not an activity: an activity sees process-batch attempts,
// and a run calls process-batch once per part of its batch and once per round while it holds its
// records, so starts and ends cannot be counted there; and a run's failure (records Kafka no longer
// has) happens after its last activity. Sink calls are made by the worker, outside the sandbox, and
// not while a workflow is replayed (callDuringReplay is false), so a run taken up again after its
// worker evicted it from the cache is not counted twice.

import {
  ContinueAsNew,
  isCancellation,
  proxySinks,
  TemporalFailure,
  workflowInfo,
  type Sinks,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';

export interface RunMetricsSinks extends Sinks {
  runMetrics: {
    /** The first workflow task of a run (not of a run continued as new) began on this worker. */
    started(): void;
    /** The run completed, or failed with `failureType` (ApplicationFailure's type, else the error name). */
    ended(outcome: 'completed' | 'failed', failureType?: string): void;
  };
}

const { runMetrics } = proxySinks<RunMetricsSinks>();

/** The workflow type this interceptor reports on (the sensors are long-lived: they have gauges). */
const RUN_TYPE = 'MicroBatchRun';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        if (workflowInfo().workflowType !== RUN_TYPE) return next(input);
        if (workflowInfo().continuedFromExecutionRunId === undefined) runMetrics.started();
        try {
          const result = await next(input);
          runMetrics.ended('completed');
          return result;
        } catch (err) {
          // Continuing as new is not an end; an error that is no TemporalFailure fails the
          // workflow task (retried), not the run; a cancelled run did not fail.
          if (err instanceof TemporalFailure && !(err instanceof ContinueAsNew) && !isCancellation(err)) {
            runMetrics.ended('failed', failureTypeOf(err));
          }
          throw err;
        }
      },
    },
  ],
});

function failureTypeOf(err: TemporalFailure): string {
  const type = (err as { type?: unknown }).type;
  return typeof type === 'string' && type ? type : err.name;
}
