// Reading workflow histories for the benchmark's cost, idle and latency figures: one pager and one
// clock conversion, so each scenario only says which events it counts.

import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * The events of one run (the latest run of `workflowId` when `runId` is absent), in order. Paged by
 * hand, a few events a page: a sensor's events carry whole batches with BATCH_PAYLOAD=records
 * (consume-batch results, child inputs, up to 448 KiB each), and the client's fetchHistory asks for
 * pages bigger than gRPC's 4 MiB default receive limit.
 */
export async function* historyEvents(client: Client, workflowId: string, runId?: string): AsyncGenerator<HistoryEvent> {
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      maximumPageSize: 4,
      nextPageToken,
    });
    yield* page.history?.events ?? [];
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
}

/** An event's time, ms since the epoch (the server's clock, this machine's). */
export function eventTimeMs(e: HistoryEvent): number {
  return Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
}
