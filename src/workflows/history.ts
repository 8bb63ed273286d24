// When a workflow should continue as new. Every loop in src/workflows asks this at each turn, so no
// single run's history grows without bound, whatever the loop waits for (a pause, an outage, a
// missing topic, the in-flight limit).

import { workflowInfo } from '@temporalio/workflow';

/**
 * Events after which a run continues as new even if the server has not suggested it. Temporal
 * suggests it at 4,096 events (or 4 MiB) and ends a run at 51,200; not every server suggests it
 * (Temporal's time-skipping test server never does), so this bound holds everywhere. A loop turn
 * adds at most a few dozen events, so a run stays far below 10,000.
 */
export const MAX_HISTORY_EVENTS = 4_000;

/** Bytes of history after which a run continues as new (Temporal suggests it at 4 MiB). */
export const MAX_HISTORY_BYTES = 4 * 1_048_576;

export function historyIsLong(): boolean {
  const info = workflowInfo();
  return (
    info.continueAsNewSuggested || info.historyLength >= MAX_HISTORY_EVENTS || info.historySize >= MAX_HISTORY_BYTES
  );
}
