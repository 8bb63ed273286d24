// Names of the Temporal SDK's own metrics (TEMPORAL_METRICS_PORT, exported with `_total` and
// `_seconds` suffixes: src/workers/connect.ts) that deploy/grafana and deploy/prometheus may use.
// test/integration/metrics.test.ts checks a worker serves the first list; the second appears only
// once such a failure happened, so its names were read from the SDK's core (1.24).

/** Served from a worker's first runs on. */
export const TEMPORAL_SDK_METRICS = [
  'temporal_workflow_completed_total',
  'temporal_workflow_endtoend_latency_seconds_bucket',
  'temporal_workflow_task_schedule_to_start_latency_seconds_bucket',
  'temporal_workflow_task_execution_latency_seconds_bucket',
  'temporal_activity_schedule_to_start_latency_seconds_bucket',
  'temporal_activity_execution_latency_seconds_bucket',
  'temporal_worker_task_slots_available',
  'temporal_worker_task_slots_used',
  'temporal_request_total',
  'temporal_sticky_cache_size',
] as const;

/** Served once the event happened: failed requests to Temporal, failed workflows and tasks. */
export const TEMPORAL_SDK_FAILURE_METRICS = [
  'temporal_request_failure_total',
  'temporal_long_request_failure_total',
  'temporal_workflow_failed_total',
  'temporal_workflow_task_execution_failed_total',
  'temporal_activity_execution_failed_total',
] as const;
