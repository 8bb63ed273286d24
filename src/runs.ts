// Visibility queries about MicroBatchRun workflows, for `npm run lag`, the demo and the tests.

import type { Client } from '@temporalio/client';

export function runsQuery(topic: string, status?: 'Running' | 'Completed' | 'Failed'): string {
  const byStatus = status ? ` AND ExecutionStatus = '${status}'` : '';
  return `WorkflowType = 'MicroBatchRun' AND KafkaTopic = '${topic}'${byStatus}`;
}

/** Runs started but not finished for the topic (from Temporal's visibility store, which lags a little). */
export async function countUnfinishedRuns(client: Client, topic: string): Promise<number> {
  return (await client.workflow.count(runsQuery(topic, 'Running'))).count;
}
