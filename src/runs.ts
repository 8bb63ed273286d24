// Visibility queries about MicroBatchRun workflows, for `npm run lag`, the demo and the tests.
// A pipeline is a topic and a consumer group: another pipeline may read the same topic, so every
// query names both.

import type { Client } from '@temporalio/client';

/** The pipeline whose runs (or sensors) a query asks about. */
export interface PipelineId {
  topic: string;
  groupId: string;
}

/** Visibility-query text of a string value: single quotes doubled, as a group ID may hold any character. */
export function queryString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** `KafkaTopic = … AND KafkaGroup = …`: the workflows of one pipeline. */
export function pipelineFilter(p: PipelineId): string {
  return `KafkaTopic = ${queryString(p.topic)} AND KafkaGroup = ${queryString(p.groupId)}`;
}

export function runsQuery(p: PipelineId, status?: 'Running' | 'Completed' | 'Failed'): string {
  const byStatus = status ? ` AND ExecutionStatus = '${status}'` : '';
  return `WorkflowType = 'MicroBatchRun' AND ${pipelineFilter(p)}${byStatus}`;
}

/** Runs started but not finished for the pipeline (from Temporal's visibility store, which lags a little). */
export async function countUnfinishedRuns(client: Client, p: PipelineId): Promise<number> {
  return (await client.workflow.count(runsQuery(p, 'Running'))).count;
}
