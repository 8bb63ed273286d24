// MicroBatchRun: processes one batch (records of one partition) on the runs task queue. Its
// workflow ID is derived from the offsets it covers (src/batch.ts), so a batch is run once.
//
// The batch arrives with its records (BATCH_PAYLOAD=records) or as an offset range whose records
// process-batch fetches itself (BATCH_PAYLOAD=offsets); the handling below is the same for both.
//
// Failure handling, decided here (what is bad data is decided by process-batch: see
// src/processing/systemic-failure.ts):
// - bad records are dead-lettered by process-batch itself; the rest load;
// - records Kafka does not have (RecordsUnavailableError: retention removed them before the run
//   read them, or the topic was recreated) cannot be loaded or dead-lettered: the run loads the
//   rest of its range, then fails naming the missing offsets, so the loss is visible;
// - anything else (a sink or Kafka outage, a timeout, a systemic failure such as a broken transform
//   or a sink that refuses every row, an error nobody explained) is not bad data: the run holds its
//   records and retries, waiting longer each round up to RUN_OUTAGE_MAX_BACKOFF, for as long as it
//   takes. It says so once (a log line, the sensor's lastError via runHeldSignal) and shows the
//   cause in the Web UI's current details while it waits.
//
// The loop (an outage may last weeks) continues as new when the history grows long (see
// ./history.ts), carrying what is left to do and the tallies.
//
// When it ends (loaded or failed), a run tells the sensor that started it (runFinishedSignal): after
// the sensor continued as new it no longer gets its children's results, and would otherwise only
// learn of the free in-flight slot by asking. A replay's runs tell the Replay that started them,
// never a live sensor (src/workflows/replay.ts).

import {
  ActivityFailure,
  ApplicationFailure,
  ContinueAsNew,
  continueAsNew,
  defineSignal,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setCurrentDetails,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { rangeWithin, type RunBatch } from '../batch';
import { FailureType } from '../errors';
import type { LogBounds, RunActivities } from '../activities/run-activities';
import { historyIsLong } from './history';

export interface RunSettings {
  /** Attempts of process-batch before records it keeps failing on are dead-lettered (RUN_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** First retry delay, doubling up to 30 s (RUN_RETRY_INITIAL_INTERVAL). */
  retryInitialIntervalMs: number;
  /** Start-to-close timeout of one attempt (RUN_ACTIVITY_TIMEOUT). */
  activityTimeoutMs: number;
  /** Longest wait between rounds of retries during an outage (RUN_OUTAGE_MAX_BACKOFF). */
  outageMaxBackoffMs: number;
}

export interface MicroBatchRunInput {
  batch: RunBatch;
  settings: RunSettings;
  /** Set by continue-as-new: what an earlier run of this batch left to do; absent on a first start. */
  progress?: RunProgress;
}

/** A run's state, carried through continue-as-new. */
export interface RunProgress {
  /** Parts of the batch still to process, front first. */
  pending: RunBatch[];
  /** Offset ranges (inclusive, decimal strings) Kafka does not have. */
  gone: Array<{ first: string; last: string }>;
  total: MicroBatchRunResult;
  /** Rounds of retries the current outage has taken so far (the wait grows with them). */
  outageRounds: number;
  /** Why the run is held, if it is (said once, not again after continue-as-new). */
  heldBy?: string;
  continuedAsNew: number;
  /** The sensor that started the run (its parent before the run continued as new). */
  sensor?: string;
}

/** Sent by a run to the sensor that started it when the run ends; carries the run's workflow ID. */
export const runFinishedSignal = defineSignal<[string]>('runFinished');
/** Sent by a run to its sensor when it starts holding its records, and why: the run's ID, the cause. */
export const runHeldSignal = defineSignal<[string, string]>('runHeld');

export interface MicroBatchRunResult {
  messages: number;
  loaded: number;
  /** Rows the sink had already: this batch (or part of it) was loaded before. */
  alreadyLoaded: number;
  deadLettered: number;
}

export async function MicroBatchRun(input: MicroBatchRunInput): Promise<MicroBatchRunResult> {
  const sensor = input.progress?.sensor ?? workflowInfo().parent?.workflowId;
  let continued = false;
  try {
    return await processRange(input, sensor);
  } catch (err) {
    // Continuing as new is not an end: the sensor hears when the last run of the chain ends.
    continued = err instanceof ContinueAsNew;
    throw err;
  } finally {
    if (sensor && !continued) {
      // Awaited: a run that closes in the same workflow task as its signal leaves the signal
      // failing on Temporal's time-skipping test server (and time no longer skipping there). The
      // sensor may have stopped since: then nobody waits for the news, and that is fine.
      await getExternalWorkflowHandle(sensor)
        .signal(runFinishedSignal, workflowInfo().workflowId)
        .catch(() => undefined);
    }
  }
}

async function processRange(
  { batch, settings, progress }: MicroBatchRunInput,
  sensor: string | undefined,
): Promise<MicroBatchRunResult> {
  const messages = batch ? batch.count : 0;
  if (!batch || typeof batch.firstOffset !== 'string' || typeof batch.lastOffset !== 'string' || !messages) {
    throw ApplicationFailure.nonRetryable(
      'MicroBatchRun needs a batch with at least one message: { topic, partition, firstOffset, lastOffset, count, bytes, messages? }',
      'InvalidInput',
    );
  }
  const activities = proxyActivities<RunActivities>({
    // An attempt whose worker died is only retried after this: keep it short (a batch loads in
    // well under a second), but long enough for the slowest sink write or read back from Kafka.
    startToCloseTimeout: settings.activityTimeoutMs,
    retry: {
      initialInterval: settings.retryInitialIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: '30 seconds',
      maximumAttempts: settings.maxAttempts,
      // Retrying at once would only fail the same way: the run holds and retries at its own pace.
      nonRetryableErrorTypes: [FailureType.Systemic],
    },
  });
  const total: MicroBatchRunResult = progress?.total ?? { messages, loaded: 0, alreadyLoaded: 0, deadLettered: 0 };

  // Parts of the batch still to process, front first (a part Kafka holds only some of is cut down).
  const pending: RunBatch[] = progress?.pending ?? [batch];
  /** Offset ranges Kafka does not have; the run fails naming them once the rest is loaded. */
  const gone: Array<{ first: bigint; last: bigint }> = (progress?.gone ?? []).map((g) => ({
    first: BigInt(g.first),
    last: BigInt(g.last),
  }));
  let outageRounds = progress?.outageRounds ?? 0;
  let heldBy = progress?.heldBy;
  while (pending.length > 0) {
    if (historyIsLong()) {
      const carried: RunProgress = {
        pending,
        gone: gone.map((g) => ({ first: g.first.toString(), last: g.last.toString() })),
        total,
        outageRounds,
        heldBy,
        continuedAsNew: (progress?.continuedAsNew ?? 0) + 1,
        sensor,
      };
      await continueAsNew<typeof MicroBatchRun>({ batch, settings, progress: carried });
    }
    const current = pending.shift()!;
    try {
      const result = await activities.processBatch({ batch: current, attempts: settings.maxAttempts });
      outageRounds = 0;
      if (heldBy !== undefined) released();
      total.loaded += result.loaded;
      total.alreadyLoaded += result.alreadyLoaded;
      total.deadLettered += result.deadLettered;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      const failure = err.cause instanceof ApplicationFailure ? err.cause : undefined;
      const bounds = logBoundsOf(failure);
      if (bounds) {
        const available = keepInLog(current, bounds);
        if (available) pending.unshift(available);
        continue;
      }
      // Not bad data: wait (longer each round), then try the same records again, for as long as
      // it takes.
      outageRounds++;
      const pause = outagePause(outageRounds);
      await hold(failure?.message ?? err.cause?.message ?? err.message, pause);
      await sleep(pause);
      pending.unshift(current);
    }
  }
  if (gone.length > 0) {
    const offsets = gone.map(({ first, last }) => (first === last ? `${first}` : `${first}–${last}`)).join(', ');
    throw ApplicationFailure.nonRetryable(
      `offsets ${offsets} of ${batch.topic} partition ${batch.partition} are not in Kafka (retention removed them ` +
        `before this run read them, or the topic was recreated); the rest of the batch was processed: ` +
        `${total.loaded} loaded, ${total.alreadyLoaded} already loaded, ${total.deadLettered} dead-lettered`,
      FailureType.RecordsUnavailable,
    );
  }
  return total;

  /** Says, once per cause, that the run holds its records; shows it in the Web UI while it lasts. */
  async function hold(cause: string, pauseMs: number) {
    setCurrentDetails(
      `Held: ${cause}\n\nThe records stay in this run (nothing is dead-lettered because of it); ` +
        `next try in ${Math.round(pauseMs / 1000)} s (round ${outageRounds}).`,
    );
    if (cause === heldBy) return;
    heldBy = cause;
    log.warn('run held: its records wait until the cause is gone', { cause, batch: batchName() });
    if (sensor) {
      await getExternalWorkflowHandle(sensor)
        .signal(runHeldSignal, workflowInfo().workflowId, cause)
        .catch(() => undefined);
    }
  }

  function released() {
    log.info('run no longer held', { cause: heldBy, batch: batchName() });
    heldBy = undefined;
    setCurrentDetails('');
  }

  function batchName() {
    return `${batch.topic} partition ${batch.partition}, offsets ${batch.firstOffset}–${batch.lastOffset}`;
  }

  /**
   * The part of `range` the partition's log holds, noting the parts outside it as gone; undefined
   * when nothing (or nothing new) is left to try.
   */
  function keepInLog(range: RunBatch, { logStart, logEnd }: LogBounds): RunBatch | undefined {
    const first = BigInt(range.firstOffset);
    const last = BigInt(range.lastOffset);
    const from = first > BigInt(logStart) ? first : BigInt(logStart);
    const to = last < BigInt(logEnd) - 1n ? last : BigInt(logEnd) - 1n;
    if (from > to || (from === first && to === last)) {
      gone.push({ first, last });
      return undefined;
    }
    if (first < from) gone.push({ first, last: from - 1n });
    if (to < last) gone.push({ first: to + 1n, last });
    return rangeWithin(range, from, to);
  }

  function outagePause(round: number): number {
    return Math.min(settings.outageMaxBackoffMs, settings.retryInitialIntervalMs * 2 ** Math.min(round, 20));
  }
}

/** What the log holds, when a failure says some records are not in Kafka. */
function logBoundsOf(failure: ApplicationFailure | undefined): LogBounds | undefined {
  if (failure?.type !== FailureType.RecordsUnavailable) return undefined;
  const details = failure.details?.[0] as Partial<LogBounds> | undefined;
  // Without bounds nothing of the range can be trusted to be there: all of it counts as gone.
  return { logStart: details?.logStart ?? '0', logEnd: details?.logEnd ?? '0' };
}
