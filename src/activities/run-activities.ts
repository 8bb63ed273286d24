// Activities of a MicroBatchRun, on the runs task queue (whose worker slots are the
// max-concurrent-runs limit): transform each record, load the batch into the sink in one write,
// and dead-letter the records that are bad data. The pipeline's own steps around the transform
// (decoding a record, serialising its row) are in ./record-steps.ts.

import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { BatchMessage, BatchRange, RunBatch } from '../batch';
import { FailureType, RecordRejectedError, RecordsUnavailableError, SourceUnavailableError } from '../errors';
import type { BatchRecords } from '../kafka/batch-records';
import type { DeadLetter, DeadLetterPublisher } from '../kafka/dead-letter';
import type { SourceRecord, TransformedRecord } from '../processing/transform';
import type { Sink, SinkRow } from '../sink';
import { rowOf, sourceRecordOf } from './record-steps';

export interface RunActivityDeps {
  sink: Sink;
  deadLetters: DeadLetterPublisher;
  transform: (record: SourceRecord) => TransformedRecord;
  /** Where a run's records come from when it carries only their offsets. */
  records: BatchRecords;
}

export interface ProcessBatchResult {
  loaded: number;
  alreadyLoaded: number;
  deadLettered: number;
}

/** What a partition's log holds (offsets logStart..logEnd-1), sent with a RecordsUnavailable failure. */
export interface LogBounds {
  logStart: string;
  logEnd: string;
}

export interface DeadLetterInput {
  batch: RunBatch;
  error: string;
  errorType: string;
  attempts: number;
}

export function createRunActivities({ sink, deadLetters, transform, records }: RunActivityDeps) {
  /**
   * The batch's records, wherever they are. A failed read is never bad data (no record was even
   * seen): records Kafka no longer has are reported with what the log holds, so the run can load
   * the rest; any other failure is treated as an outage and retried.
   */
  async function recordsOf(batch: RunBatch): Promise<BatchMessage[]> {
    try {
      return await records.of(batch);
    } catch (err) {
      if (err instanceof RecordsUnavailableError) {
        throw ApplicationFailure.nonRetryable(err.message, FailureType.RecordsUnavailable, {
          logStart: err.logStart,
          logEnd: err.logEnd,
        } satisfies LogBounds);
      }
      throw new SourceUnavailableError(`cannot read the run's records back from Kafka: ${(err as Error).message}`);
    }
  }

  return {
    /** Loads a batch. Records the transform or the sink rejects go to the dead-letter topic. */
    async processBatch(batch: RunBatch): Promise<ProcessBatchResult> {
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? 'unknown';
      const messages = await recordsOf(batch);
      const rejected: DeadLetter[] = [];
      const reject = (message: BatchMessage, err: Error) =>
        rejected.push(deadLetter(batch, message, err.message, FailureType.RecordRejected, 1, workflowId));

      const rows: SinkRow[] = [];
      for (const message of messages) {
        try {
          // Decoding and serialising reject a record they cannot handle (a retry would fail the
          // same way); the transform's other errors are retried.
          rows.push(rowOf(batch, message, transform(sourceRecordOf(batch, message)), workflowId));
        } catch (err) {
          if (!(err instanceof RecordRejectedError)) throw err;
          reject(message, err);
        }
      }

      let result = { inserted: 0, alreadyPresent: 0 };
      // A sink may reject one row at a time; take it out and write the rest again.
      for (;;) {
        try {
          result = rows.length > 0 ? await sink.write(rows) : result;
          break;
        } catch (err) {
          if (!(err instanceof RecordRejectedError) || err.offset === undefined) throw err;
          const i = rows.findIndex((r) => r.offset === err.offset);
          if (i < 0) throw err;
          rows.splice(i, 1);
          reject(
            messages.find((m) => m.offset === err.offset)!,
            err,
          );
        }
      }
      // Dead letters go out after the load: if sending fails the activity is retried, and the
      // repeated load changes nothing.
      await deadLetters.publish(rejected);
      records.loaded(batch);
      return { loaded: result.inserted, alreadyLoaded: result.alreadyPresent, deadLettered: rejected.length };
    },

    /** Dead-letters every record of a batch (the run isolated it after its retries ran out). */
    async deadLetterBatch(input: DeadLetterInput): Promise<number> {
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? 'unknown';
      const { batch, error, errorType, attempts } = input;
      const messages = await recordsOf(batch);
      await deadLetters.publish(messages.map((m) => deadLetter(batch, m, error, errorType, attempts, workflowId)));
      return messages.length;
    },
  };
}

export type RunActivities = ReturnType<typeof createRunActivities>;

function deadLetter(
  batch: BatchRange,
  message: BatchMessage,
  error: string,
  errorType: string,
  attempts: number,
  runId: string,
): DeadLetter {
  return { sourceTopic: batch.topic, partition: batch.partition, message, error, errorType, attempts, runId };
}
