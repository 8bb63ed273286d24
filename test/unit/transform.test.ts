// The default transform: JSON values are kept as they are; a record it can never process is
// rejected with a reason a person can act on (it becomes the dead letter's dlq.error).

import { describe, expect, it } from 'vitest';
import { RecordRejectedError } from '../../src/errors';
import { transform, type SourceRecord } from '../../src/processing/transform';

function record(value: string | Buffer | null): SourceRecord {
  const rawValue = typeof value === 'string' ? Buffer.from(value) : value;
  return {
    topic: 't',
    partition: 0,
    offset: '7',
    key: 'k',
    valueText: typeof value === 'string' ? value : undefined,
    rawValue,
    headers: {},
    timestamp: 0,
  };
}

function rejection(value: string | Buffer | null): string {
  try {
    transform(record(value));
  } catch (err) {
    expect(err).toBeInstanceOf(RecordRejectedError);
    return (err as Error).message;
  }
  throw new Error('transform accepted the record');
}

describe('the default transform', () => {
  it('keeps a JSON value and its producedAt', () => {
    expect(transform(record('{"seq":1,"producedAt":42}'))).toEqual({
      payload: { seq: 1, producedAt: 42 },
      producedAt: 42,
    });
  });

  it('keeps a tombstone as a null payload', () => {
    expect(transform(record(null))).toEqual({ payload: null });
  });

  it('rejects an empty value as empty, not as JSON cut short', () => {
    expect(rejection('')).toBe('value is empty');
  });

  it('rejects a value of only whitespace as such', () => {
    expect(rejection(' \n')).toBe('value is only whitespace');
  });

  it('rejects a value that is not JSON with the parser message and the value', () => {
    expect(rejection('not json {')).toMatch(/^value is not valid JSON \(.+\): "not json \{"$/);
  });

  it('rejects bytes that are not UTF-8', () => {
    expect(rejection(Buffer.from([0xff, 0xfe]))).toBe('value is not valid UTF-8');
  });
});
