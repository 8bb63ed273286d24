// What a sink is: a place that stores processed rows, idempotently. Rows are keyed by (topic,
// partition, offset), so a batch written twice stores each row once: in `insert` mode the first
// load of a row stays, in `replace` mode the latest load replaces it (SINK_WRITE_MODE).
//
// Neighbours: sqlite-sink.ts (the default; threaded-sqlite-sink.ts runs it on a thread of its own),
// postgres-sink.ts, index.ts (chooses one from the SINK setting).

export interface SinkRow {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** What the transform produced, as JSON text; null for a tombstone. */
  payload: string | null;
  /** When the producer made the record (ms since the epoch), if the record says; for latency. */
  producedAt: number | null;
  kafkaTimestamp: number;
  /** The MicroBatchRun workflow ID that loaded the row. */
  runId: string;
}

export const WRITE_MODES = ['insert', 'replace'] as const;
/** insert: a row already stored is kept as it is; replace: it is overwritten by the new load. */
export type WriteMode = (typeof WRITE_MODES)[number];

/** Counts of one write; the two add up to the rows written. */
export interface WriteResult {
  /** Rows that were not in the sink before this write, and now are. */
  inserted: number;
  /**
   * Rows whose key was already in the sink (a batch that runs again, a replay): in insert mode
   * left as they were, in replace mode overwritten by this write.
   */
  alreadyPresent: number;
}

export interface Sink {
  /**
   * Stores all rows or none. Throws SinkUnavailableError for an outage (retried without limit), and
   * RecordRejectedError naming one row's offset when that row breaks a rule of the store, or an
   * AggregateError of such errors when it found several at once (the rest are written again
   * without them; if every row is refused the same way, nothing is dead-lettered and the batch is
   * held: see src/processing/systemic-failure.ts). Any other error refuses the batch as a whole: it
   * is held and retried until the cause is fixed, never dead-lettered.
   */
  write(rows: SinkRow[]): Promise<WriteResult>;
  close(): Promise<void>;
}
