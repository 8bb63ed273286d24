// The rule that tells a bad record from a systemic failure (a broken transform after a deploy, a
// database that refuses every row). A record is bad data only when something fails on it while
// other records pass; a failure that strikes every record of a batch the same way is the system's,
// not the data's: the run holds its records and retries, and nothing is dead-lettered.
//
// - A batch of two or more records, every one of which fails with the same error (its name and
//   message), fails systemically.
// - A batch of one record cannot compare it with a batch-mate, so it compares with the records this
//   worker process handled just before: its failure is systemic when another record failed with
//   the same error within STREAK_WINDOW_MS and no record succeeded since (see FailureStreak).
//
// Pure: processBatch (src/activities/run-activities.ts) feeds it what it saw.

/** How long a failure counts as "just before" for a lone record's comparison. */
export const STREAK_WINDOW_MS = 10 * 60_000;

/** One record's failure, as the rule compares them. */
export interface RecordFailure {
  /** Source offset of the record. */
  offset: string;
  error: Error;
}

/**
 * Errors are "the same" when their name and message are, or their name and `kind` when they have
 * one (a sink's RecordRejectedError: its message quotes the row's value, its kind does not).
 */
export function failureSignature(error: Error): string {
  const kind = (error as { kind?: unknown }).kind;
  return `${error.name}: ${typeof kind === 'string' ? kind : error.message}`;
}

/**
 * What this worker process saw last: the error of the latest failing records, and whether two
 * different records failed with it since the last record that went through. Shared by all runs the
 * process serves.
 */
export class FailureStreak {
  private signature: string | undefined;
  private firstOffset: string | undefined;
  private severalRecords = false;
  private since = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** A record went through: whatever failed before was not everything. */
  succeeded(): void {
    this.signature = undefined;
    this.severalRecords = false;
  }

  failed(failure: RecordFailure): void {
    const signature = failureSignature(failure.error);
    if (signature !== this.signature || this.now() - this.since > STREAK_WINDOW_MS) {
      this.signature = signature;
      this.firstOffset = failure.offset;
      this.severalRecords = false;
      this.since = this.now();
      return;
    }
    if (failure.offset !== this.firstOffset) this.severalRecords = true;
  }

  /** True when records other than one failed with `error`, and none succeeded since. */
  isSpreadOf(error: Error): boolean {
    return this.severalRecords && this.signature === failureSignature(error);
  }
}

/**
 * The systemic cause of a batch's failures, or undefined when they may be bad data. `total` is the
 * number of records the step was given; `failures` those that failed (the streak is told of them).
 */
export function systemicCause(failures: RecordFailure[], total: number, streak: FailureStreak): Error | undefined {
  for (const failure of failures) streak.failed(failure);
  if (failures.length === 0 || failures.length < total) return undefined;
  const first = failures[0]!.error;
  const signature = failureSignature(first);
  if (!failures.every((f) => failureSignature(f.error) === signature)) return undefined;
  if (total >= 2 || streak.isSpreadOf(first)) return first;
  return undefined;
}
