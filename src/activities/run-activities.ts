// Activities of a MicroBatchRun, on the runs task queue (whose worker slots are the
// max-concurrent-runs limit): transform each record, load the batch into the sink in one write,
// and dead-letter the records that are bad data. What counts as bad data, and what as a systemic
// failure that holds the batch instead, is src/processing/systemic-failure.ts. The pipeline's own
// steps around the transform (decoding a record, serialising its row) are in ./record-steps.ts.

import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { BatchMessage, BatchRange, RunBatch } from '../batch';
import {
  FailureType,
  RecordRejectedError,
  RecordsUnavailableError,
  SinkUnavailableError,
  SourceUnavailableError,
  SystemicFailureError,
} from '../errors';
import type { BatchRecords } from '../kafka/batch-records';
import type { DeadLetter, DeadLetterPublisher } from '../kafka/dead-letter';
import { FailureStreak, systemicCause, type RecordFailure } from '../processing/systemic-failure';
import type { SourceRecord, TransformedRecord } from '../processing/transform';
import type { PipelineMetrics } from '../metrics/pipeline-metrics';
import type { Sink, SinkRow, WriteResult } from '../sink';
import { rowOf, sourceRecordOf } from './record-steps';

/** Only what process-batch uses of each, so a test can hand it plain objects. */
export interface RunActivityDeps {
  sink: Pick<Sink, 'write'>;
  deadLetters: Pick<DeadLetterPublisher, 'publish'>;
  transform: (record: SourceRecord) => TransformedRecord;
  /** Where a run's records come from when it carries only their offsets. */
  records: Pick<BatchRecords, 'of' | 'loaded'>;
  metrics: PipelineMetrics;
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

export interface ProcessBatchInput {
  batch: RunBatch;
  /**
   * Attempts the run gives the batch (RUN_MAX_ATTEMPTS). Records the transform fails on while
   * batch-mates pass are dead-lettered on the last attempt, not before: the failure may pass.
   */
  attempts: number;
}

export function createRunActivities({ sink, deadLetters, transform, records, metrics }: RunActivityDeps) {
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

  /** What the records this worker process handled just before failed with (systemic-failure.ts). */
  const streak = new FailureStreak();

  /**
   * One write of the batch's rows, timed, and counted as the sink reports it: `inserted` is what
   * this write stored, so a retried attempt whose rows are already there adds nothing to loaded.
   */
  async function write(batch: BatchRange, rows: SinkRow[]): Promise<WriteResult> {
    const startedAt = Date.now();
    let result: WriteResult;
    try {
      result = await sink.write(rows);
    } catch (err) {
      metrics.sinkWriteDuration.observe({ outcome: 'failed' }, (Date.now() - startedAt) / 1000);
      throw err;
    }
    const loadedAt = Date.now();
    metrics.sinkWriteDuration.observe({ outcome: 'ok' }, (loadedAt - startedAt) / 1000);
    const partition = { partition: String(batch.partition) };
    metrics.recordsLoaded.inc(partition, result.inserted);
    metrics.recordsAlreadyLoaded.inc(partition, result.alreadyPresent);
    // The sink says how many rows it inserted, not which: rows loaded before are the front of the
    // range when a batch is read again from the committed offset, so the newest `inserted` rows
    // are timed, and the latency histogram counts exactly the records loaded.
    for (const row of rows.slice(rows.length - result.inserted)) {
      metrics.endToEndLatency.observe(Math.max(0, loadedAt - row.kafkaTimestamp) / 1000);
    }
    return result;
  }

  const untimed = {
    /**
     * Loads a batch. Records that are bad data go to the dead-letter topic and the rest load; a
     * failure that strikes the whole batch is thrown as a SystemicFailureError (the run holds the
     * records and retries, nothing is dead-lettered): see src/processing/systemic-failure.ts.
     */
    async processBatch({ batch, attempts }: ProcessBatchInput): Promise<ProcessBatchResult> {
      const { info } = Context.current();
      const workflowId = info.workflowExecution?.workflowId ?? 'unknown';
      const lastAttempt = info.attempt >= attempts;
      const messages = await recordsOf(batch);
      const rejected: DeadLetter[] = [];
      const reject = (message: BatchMessage, err: Error, tries = 1) =>
        rejected.push(deadLetter(batch, message, err.message, err.name, tries, workflowId));

      // The transform: RecordRejectedError is the user's word that a record is bad. Any other error
      // may be passing, or the transform's own fault: retried, and counted against the rule.
      const rows: SinkRow[] = [];
      const failing: Array<{ message: BatchMessage; failure: RecordFailure }> = [];
      /** Records whose transformed value has no JSON text (see record-steps.ts). */
      const unserialisable: Array<{ message: BatchMessage; failure: RecordFailure }> = [];
      for (const message of messages) {
        let out: TransformedRecord;
        try {
          // Decoding rejects a record it cannot handle (a retry would fail the same way).
          out = transform(sourceRecordOf(batch, message));
        } catch (err) {
          if (err instanceof RecordRejectedError) reject(message, err);
          else failing.push({ message, failure: { offset: message.offset, error: asError(err) } });
          continue;
        }
        try {
          rows.push(rowOf(batch, message, out, workflowId));
        } catch (err) {
          unserialisable.push({ message, failure: { offset: message.offset, error: err as Error } });
        }
      }
      if (failing.length > 0) {
        const failures = failing.map((f) => f.failure);
        const systemic = systemicCause(failures, rows.length + unserialisable.length + failing.length, streak);
        if (systemic) {
          throw new SystemicFailureError(
            `the transform fails on every record of the batch (${failing.length}) the same way: ${describe(systemic)}`,
          );
        }
        const first = failing[0]!;
        if (!lastAttempt) {
          throw new Error(
            `the transform failed on ${failing.length} of ${messages.length} records (first, offset ` +
              `${first.message.offset}: ${describe(first.failure.error)}); tried again before they are dead-lettered`,
          );
        }
        // Still failing on the last attempt while batch-mates pass: these records are bad data.
        for (const { message, failure } of failing) reject(message, failure.error, attempts);
      }
      if (unserialisable.length > 0) {
        // A value nested too deep is the record's fault, rejected at once (a retry fails alike);
        // a value that cannot be serialised for any record is the transform's (it returns a BigInt).
        const systemic = systemicCause(
          unserialisable.map((f) => f.failure),
          rows.length + unserialisable.length,
          streak,
        );
        if (systemic) {
          throw new SystemicFailureError(
            `what the transform returns cannot be serialised for any record of the batch (${unserialisable.length}): ${systemic.message}`,
          );
        }
        for (const { message, failure } of unserialisable) reject(message, failure.error);
      }

      const refusedBySink: Array<{ message: BatchMessage; failure: RecordFailure }> = [];
      const offered = rows.length;
      let result = { inserted: 0, alreadyPresent: 0 };
      // A sink names the rows it refuses (one, or several at once); take them out and write the rest again.
      while (rows.length > 0) {
        try {
          result = await write(batch, rows);
          break;
        } catch (err) {
          if (err instanceof SinkUnavailableError) throw err;
          const named = new Map(rowsNamedBy(err).map((e) => [e.offset!, e]));
          if (named.size === 0 || [...named.keys()].some((offset) => !rows.some((r) => r.offset === offset))) {
            throw new SystemicFailureError(
              `the sink refused the batch without naming a row: ${describe(asError(err))}`,
            );
          }
          for (const [offset, rejection] of named) {
            rows.splice(
              rows.findIndex((r) => r.offset === offset),
              1,
            );
            const message = messages.find((m) => m.offset === offset)!;
            refusedBySink.push({ message, failure: { offset, error: rejection } });
          }
        }
      }
      if (refusedBySink.length > 0) {
        const systemic = systemicCause(
          refusedBySink.map((f) => f.failure),
          offered,
          streak,
        );
        if (systemic) {
          throw new SystemicFailureError(
            `the sink refuses every row of the batch (${offered}) the same way: ${describe(systemic)}`,
          );
        }
        if (offered === 1 && !lastAttempt) {
          // A lone row has no batch-mate to compare with: give other records time to fail the same way.
          throw new Error(`the sink refused the batch's only row: ${describe(refusedBySink[0]!.failure.error)}`);
        }
        for (const { message, failure } of refusedBySink) reject(message, failure.error);
      }
      if (result.inserted + result.alreadyPresent > 0) streak.succeeded();

      // Dead letters go out after the load: if sending fails the activity is retried, and the
      // repeated load changes nothing. Kafka not taking them is an outage, not bad data.
      try {
        await deadLetters.publish(rejected);
      } catch (err) {
        throw new SourceUnavailableError(`cannot publish dead letters to Kafka: ${(err as Error).message}`);
      }
      if (rejected.length > 0) metrics.recordsDeadLettered.inc({ partition: String(batch.partition) }, rejected.length);
      records.loaded(batch);
      return { loaded: result.inserted, alreadyLoaded: result.alreadyPresent, deadLettered: rejected.length };
    },
  };

  return {
    /**
     * processBatch above, each attempt timed and its failures counted by cause: those after which
     * the run holds its records are the batches held back.
     */
    async processBatch(input: ProcessBatchInput): Promise<ProcessBatchResult> {
      const startedAt = Date.now();
      const seconds = () => (Date.now() - startedAt) / 1000;
      try {
        const result = await untimed.processBatch(input);
        metrics.processBatchDuration.observe({ outcome: 'ok' }, seconds());
        return result;
      } catch (err) {
        metrics.processBatchDuration.observe({ outcome: 'failed' }, seconds());
        const cause = causeOf(err);
        metrics.processBatchFailures.inc({ cause });
        if (holdsTheRun(cause, Context.current().info.attempt, input.attempts)) metrics.batchesHeld.inc({ cause });
        throw err;
      }
    },
  };
}

/** A failure's cause as metrics name it: an ApplicationFailure's type, else the error's name. */
function causeOf(err: unknown): string {
  if (err instanceof ApplicationFailure && err.type) return err.type;
  return err instanceof Error ? err.name : 'unknown';
}

/**
 * Whether the run holds its records after this failure (src/workflows/micro-batch-run.ts): a
 * systemic failure is not retried by Temporal, so at once; records Kafka lacks never; anything
 * else once Temporal's retries are used up.
 */
function holdsTheRun(cause: string, attempt: number, attempts: number): boolean {
  if (cause === FailureType.Systemic) return true;
  if (cause === FailureType.RecordsUnavailable) return false;
  return attempt >= attempts;
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

/** The rows a sink's error names: a RecordRejectedError with an offset, or an AggregateError of them. */
function rowsNamedBy(err: unknown): RecordRejectedError[] {
  const errors = err instanceof AggregateError ? (err.errors as unknown[]) : [err];
  const named = errors.filter((e): e is RecordRejectedError => e instanceof RecordRejectedError && !!e.offset);
  return named.length === errors.length ? named : [];
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function describe(err: Error): string {
  return `${err.name}: ${err.message}`;
}
