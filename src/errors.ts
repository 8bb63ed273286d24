// The few failures the pipeline tells apart, and whether a retry can help. Temporal reports an
// activity's error by its `name`, so the workflows match on these names (see FailureType).

/** Names of failures the workflows act on. */
export const FailureType = {
  RecordRejected: 'RecordRejectedError',
  SinkUnavailable: 'SinkUnavailableError',
  ConsumerNotHeld: 'ConsumerNotHeldError',
  SourceUnavailable: 'SourceUnavailableError',
  RecordsUnavailable: 'RecordsUnavailableError',
  Systemic: 'SystemicFailureError',
} as const;

/**
 * A record the processing step or the sink can never accept (bad data). Thrown by a transform or a
 * sink; the record goes to the dead-letter topic at once, without retries, and its batch-mates load.
 */
export class RecordRejectedError extends Error {
  override readonly name = FailureType.RecordRejected;
  constructor(
    reason: string,
    /** The rejected record's offset, when a sink rejects one record of a batch. */
    readonly offset?: string,
    /**
     * The rule the record broke, without its values (a reason may quote them): records rejected
     * with one kind fail "the same way" for the systemic-failure rule. Defaults to the reason.
     */
    readonly kind?: string,
  ) {
    super(reason);
  }
}

/**
 * The sink cannot be reached or written right now (an outage, not bad data). The run retries with
 * backoff for as long as it takes and never dead-letters because of it.
 */
export class SinkUnavailableError extends Error {
  override readonly name = FailureType.SinkUnavailable;
}

/**
 * Some records of a run's offset range are not in Kafka: below the partition's log start
 * (retention or deleteRecords removed them) or at or past its end (the topic was recreated or
 * truncated). No retry brings them back. `logStart`..`logEnd - 1` is what the partition holds.
 */
export class RecordsUnavailableError extends Error {
  override readonly name = FailureType.RecordsUnavailable;
  constructor(
    message: string,
    readonly logStart: string,
    readonly logEnd: string,
  ) {
    super(message);
  }
}

/**
 * A run's records could not be read back from Kafka right now (a broker outage). Like a sink
 * outage, retried for as long as it lasts; nothing is dead-lettered because of it.
 */
export class SourceUnavailableError extends Error {
  override readonly name = FailureType.SourceUnavailable;
}

/**
 * Every record of a batch failed the same way (src/processing/systemic-failure.ts), or the sink
 * refused a batch without naming a row: the fault is the transform's or the sink's, not the data's.
 * The run holds its records and retries, like an outage, until the cause is fixed; nothing is
 * dead-lettered because of it.
 */
export class SystemicFailureError extends Error {
  override readonly name = FailureType.Systemic;
}
