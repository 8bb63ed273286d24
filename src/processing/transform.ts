// THE FILE TO EDIT to change what happens to each record. `transform` turns one Kafka record into
// what the sink stores. Throw RecordRejectedError for a record that can never be processed (bad
// data): it goes to the dead-letter topic with your reason, and the rest of its batch still loads.
// Any other error is treated as transient: the batch is retried, and a record still failing on the
// last attempt while its batch-mates pass is dead-lettered. An error on every record of a batch is
// the transform's own fault, not the data's: the run holds the records until the transform is
// fixed (see ./systemic-failure.ts). The pipeline's own
// steps around this function (decoding the record, serialising what it returns) reject a record
// they cannot handle at once, with no retry (src/activities/record-steps.ts).
//
// The default expects JSON values, as `npm run producer` writes them, and keeps them as they are.

import { RecordRejectedError } from '../errors';

/** A record as the transform sees it. */
export interface SourceRecord {
  topic: string;
  partition: number;
  offset: string;
  /** The key as text; base64 when the key is not valid UTF-8; null when there is no key. */
  key: string | null;
  /** The value as text, or undefined when it is not valid UTF-8 (then see `rawValue`). */
  valueText: string | undefined;
  /** The value's bytes; null for a tombstone. */
  rawValue: Buffer | null;
  headers: Record<string, Buffer>;
  timestamp: number;
}

export interface TransformedRecord {
  /** Stored as JSON; null stores a tombstone. */
  payload: unknown;
  /** When the record was produced (ms since the epoch), if known: the sink keeps it for latency. */
  producedAt?: number;
}

export function transform(record: SourceRecord): TransformedRecord {
  if (record.rawValue === null) return { payload: null }; // a tombstone: kept, as a deletion marker
  if (record.valueText === undefined) throw new RecordRejectedError('value is not valid UTF-8');
  // JSON.parse would say "Unexpected end of JSON input", which reads like a truncated record.
  if (record.valueText.trim() === '') {
    throw new RecordRejectedError(record.valueText === '' ? 'value is empty' : 'value is only whitespace');
  }
  let value: unknown;
  try {
    value = JSON.parse(record.valueText);
  } catch (err) {
    const shown = record.valueText.length > 60 ? `${record.valueText.slice(0, 60)}…` : record.valueText;
    throw new RecordRejectedError(`value is not valid JSON (${(err as Error).message}): ${JSON.stringify(shown)}`);
  }
  const producedAt = (value as { producedAt?: unknown } | null)?.producedAt;
  return { payload: value, producedAt: typeof producedAt === 'number' ? producedAt : undefined };
}
