// The pipeline's own steps around the user's transform, for one record of a run: decoding it into
// what the transform sees, and serialising what the transform returned into the row the sink
// stores. Both depend on nothing but the record (no server, no clock), so when one fails, a retry
// fails the same way: the failure is a fact about the record, and the record is rejected
// (RecordRejectedError) with a reason on the first attempt, to go to the dead-letter topic while its
// batch-mates load. Only the user's transform (src/processing/transform.ts, which also parses the
// value) and the sink get retries. Used by process-batch in ./run-activities.ts.

import type { BatchMessage, BatchRange } from '../batch';
import { RecordRejectedError } from '../errors';
import { decodeBytes, decodeHeaders, textOf } from '../kafka/encoding';
import type { SourceRecord, TransformedRecord } from '../processing/transform';
import type { SinkRow } from '../sink';

/** The record as the transform sees it; a record that cannot be decoded is rejected. */
export function sourceRecordOf(batch: BatchRange, message: BatchMessage): SourceRecord {
  try {
    return {
      topic: batch.topic,
      partition: batch.partition,
      offset: message.offset,
      key: keyText(message),
      valueText: textOf(message.value),
      rawValue: decodeBytes(message.value),
      headers: decodeHeaders(message.headers),
      timestamp: Number(message.timestamp),
    };
  } catch (err) {
    throw new RecordRejectedError(`record cannot be decoded: ${describe(err)}`);
  }
}

/** The sink row of a transformed record; a payload that has no JSON text is rejected. */
export function rowOf(batch: BatchRange, message: BatchMessage, out: TransformedRecord, runId: string): SinkRow {
  return {
    topic: batch.topic,
    partition: batch.partition,
    offset: message.offset,
    key: keyText(message),
    payload: out.payload === null || out.payload === undefined ? null : payloadJson(out.payload),
    producedAt: out.producedAt ?? null,
    kafkaTimestamp: Number(message.timestamp),
    runId,
  };
}

function payloadJson(payload: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch (err) {
    // JSON.parse reads any depth, JSON.stringify recurses: a value nested some thousands of levels
    // deep parses, then overflows the stack here, every time.
    if (err instanceof RangeError && /call stack/i.test(err.message)) {
      throw new RecordRejectedError(`value nests too deeply to serialise: ${describe(err)}`);
    }
    throw new RecordRejectedError(`value cannot be serialised as JSON: ${describe(err)}`);
  }
  // A function or a symbol has no JSON text: JSON.stringify returns undefined instead of throwing.
  if (json === undefined)
    throw new RecordRejectedError(`value cannot be serialised as JSON: it is a ${typeof payload}`);
  return json;
}

/** The key as text; base64 when it is not valid UTF-8; null when there is none. */
function keyText(message: BatchMessage): string | null {
  if (message.key === null) return null;
  return 'text' in message.key ? message.key.text : message.key.base64;
}

/** "RangeError: Maximum call stack size exceeded": the kind of failure and its message, no stack. */
function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
