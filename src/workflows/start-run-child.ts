// How a MicroBatchRun child is started, for the sensor and for a replay alike: the options that
// make a run outlive its parent and a batch run at most once, and the search attributes that let
// `temporal workflow list` find a topic's, a group's or a partition's runs.

import { ParentClosePolicy, startChild, WorkflowIdReusePolicy, type ChildWorkflowHandle } from '@temporalio/workflow';
import type { BatchRange, RunBatch } from '../batch';
import { FirstOffset, KafkaGroup, KafkaPartition, KafkaTopic, LastOffset, MessageCount } from '../search-attributes';
import { MicroBatchRun, type RunSettings } from './micro-batch-run';

export interface RunChild {
  workflowId: string;
  taskQueue: string;
  batch: RunBatch;
  settings: RunSettings;
  groupId: string;
  /** Records in the batch, for its MessageCount search attribute. */
  count: number;
  /** The one line the Web UI shows for the run. */
  summary: string;
  memo: Record<string, unknown>;
}

/** Starts the run; throws WorkflowExecutionAlreadyStartedError for a batch already running or done. */
export function startRunChild(run: RunChild): Promise<ChildWorkflowHandle<typeof MicroBatchRun>> {
  const batch: BatchRange = run.batch;
  return startChild(MicroBatchRun, {
    workflowId: run.workflowId,
    taskQueue: run.taskQueue,
    args: [{ batch: run.batch, settings: run.settings }],
    // Runs outlive their parent: the sensor's continue-as-new, a cancelled replay.
    parentClosePolicy: ParentClosePolicy.ABANDON,
    // A batch whose run is running or completed is not run again; one whose run failed, timed out
    // or was terminated is (its records were not all loaded, and the sink absorbs those that were).
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    typedSearchAttributes: [
      { key: KafkaTopic, value: batch.topic },
      { key: KafkaGroup, value: run.groupId },
      { key: KafkaPartition, value: batch.partition },
      { key: FirstOffset, value: Number(batch.firstOffset) },
      { key: LastOffset, value: Number(batch.lastOffset) },
      { key: MessageCount, value: run.count },
    ],
    staticSummary: run.summary,
    memo: run.memo,
  });
}
