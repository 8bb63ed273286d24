// What `npm run records` (scripts/records.ts) can print for a run ID, and what it must say about it:
// whether Temporal knows the run, and which of its offsets Kafka does not hold (removed by
// retention, or not produced yet). Pure, so it is tested without servers.

/** What Temporal said about the run's workflow ID. */
export type RunLookup =
  { state: 'found'; status: string } | { state: 'missing'; namespace: string } | { state: 'unknown'; reason: string };

export interface RecordsRange {
  workflowId: string;
  topic: string;
  partition: number;
  firstOffset: string;
  lastOffset: string;
}

export interface RecordsPlan {
  /** The offsets to read, when Kafka holds any of the range. */
  read?: { first: string; last: string };
  /** Lines for stderr, before the records. */
  notes: string[];
}

/** `low`/`high`: the partition's first offset and its next offset to be written (Kafka's high watermark). */
export function planRecordsRead(range: RecordsRange, log: { low: string; high: string }, run: RunLookup): RecordsPlan {
  const notes: string[] = [];
  const { workflowId, topic, partition } = range;
  if (run.state === 'missing') {
    notes.push(
      `note: Temporal has no workflow ${workflowId} (namespace ${run.namespace}): no run has covered these offsets (yet); printing what Kafka holds at them anyway`,
    );
  } else if (run.state === 'unknown') {
    notes.push(`note: could not ask Temporal whether run ${workflowId} exists (${run.reason})`);
  }
  const first = BigInt(range.firstOffset);
  const last = BigInt(range.lastOffset);
  const low = BigInt(log.low);
  const high = BigInt(log.high);
  const where = `${topic}/${partition}`;
  if (first < low) {
    const removedTo = last < low ? last : low - 1n;
    notes.push(
      `offsets ${first}–${removedTo} are no longer in Kafka: ${where} starts at offset ${low} (retention or deleteRecords removed older records)`,
    );
  }
  if (last >= high) {
    const from = first > high ? first : high;
    notes.push(
      run.state === 'found'
        ? `offsets ${from}–${last} are beyond the end of ${where} (its next offset is ${high}), yet run ${workflowId} covered them: the topic was probably deleted and created again, or truncated`
        : `offsets ${from}–${last} are not produced yet: ${where}'s next offset is ${high}`,
    );
  }
  const readFirst = first > low ? first : low;
  const readLast = last < high - 1n ? last : high - 1n;
  return readFirst <= readLast ? { read: { first: `${readFirst}`, last: `${readLast}` }, notes } : { notes };
}
