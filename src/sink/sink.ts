// What a sink is: a place that stores processed rows, idempotently. Rows are keyed by (topic,
// partition, offset), so a batch written twice changes nothing the second time.
//
// Neighbours: sqlite-sink.ts (the default), index.ts (chooses one from the SINK setting).

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

export interface WriteResult {
  /** Rows stored by this write. */
  inserted: number;
  /** Rows that were already there (a batch that runs again). */
  alreadyPresent: number;
}

export interface Sink {
  /**
   * Stores all rows or none. Throws SinkUnavailableError for an outage (retried without limit), and
   * RecordRejectedError naming one row's offset when that row breaks a rule of the store (the rest
   * are written again without it; if every row is refused the same way, nothing is dead-lettered
   * and the batch is held: see src/processing/systemic-failure.ts). Any other error refuses the
   * batch as a whole: it is held and retried until the cause is fixed, never dead-lettered.
   */
  write(rows: SinkRow[]): Promise<WriteResult>;
  close(): Promise<void>;
}
