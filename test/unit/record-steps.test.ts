// The pipeline's own steps around the transform: a record they cannot handle is rejected with a
// reason at once (retrying would fail the same way), never thrown as an error to retry.

import { describe, expect, it } from 'vitest';
import type { BatchMessage, BatchRange } from '../../src/batch';
import { rowOf, sourceRecordOf } from '../../src/activities/record-steps';
import { RecordRejectedError } from '../../src/errors';
import { transform } from '../../src/processing/transform';

const batch: BatchRange = { topic: 't', partition: 2, firstOffset: '5', lastOffset: '5', count: 1, bytes: 100 };

function message(value: string | null): BatchMessage {
  return {
    offset: '5',
    key: { text: 'k' },
    value: value === null ? null : { text: value },
    headers: {},
    timestamp: '17',
  };
}

function rejection(payload: unknown): string {
  try {
    rowOf(batch, message('{}'), { payload }, 'run-1');
  } catch (err) {
    expect(err).toBeInstanceOf(RecordRejectedError);
    return (err as Error).message;
  }
  throw new Error('the row was serialised');
}

describe('serialising a row', () => {
  it('stores the transformed value as JSON text, and a tombstone as null', () => {
    const m = message('{"a":[1,"é"]}');
    const row = rowOf(batch, m, transform(sourceRecordOf(batch, m)), 'run-1');
    expect(row).toEqual({
      topic: 't',
      partition: 2,
      offset: '5',
      key: 'k',
      payload: '{"a":[1,"é"]}',
      producedAt: null,
      kafkaTimestamp: 17,
      runId: 'run-1',
    });
    expect(rowOf(batch, message(null), { payload: null }, 'run-1').payload).toBeNull();
  });

  it('rejects a value nested too deeply to serialise, though it parsed', () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const m = message(deep);
    const parsed = transform(sourceRecordOf(batch, m)); // JSON.parse takes any depth
    let reason = '';
    try {
      rowOf(batch, m, parsed, 'run-1');
    } catch (err) {
      expect(err).toBeInstanceOf(RecordRejectedError);
      reason = (err as Error).message;
    }
    expect(reason).toBe('value nests too deeply to serialise: RangeError: Maximum call stack size exceeded');
  });

  it('rejects a value JSON cannot represent, naming why', () => {
    expect(rejection({ n: 1n })).toBe(
      'value cannot be serialised as JSON: TypeError: Do not know how to serialize a BigInt',
    );
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(rejection(circular)).toMatch(
      /^value cannot be serialised as JSON: TypeError: Converting circular structure/,
    );
    expect(rejection(() => 1)).toBe('value cannot be serialised as JSON: it is a function');
  });
});
