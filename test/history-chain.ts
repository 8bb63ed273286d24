// The runs of one workflow chained by continue-as-new, read back from Temporal: how long each run's
// history is. For tests that prove a workflow keeps its history bounded.

import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

/**
 * The history length of every run of a workflow, oldest first: it follows the chain of
 * continue-as-new back from the current run.
 */
export async function historyLengths(client: Client, workflowId: string): Promise<number[]> {
  const lengths: number[] = [];
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    const history: { events?: temporal.api.history.v1.IHistoryEvent[] | null } = await client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    lengths.unshift(events.length);
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return lengths;
}
