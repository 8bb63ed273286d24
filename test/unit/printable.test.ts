// What `npm run records` and `npm run dlq -- list --json` print for a record's bytes: JSON as
// JSON, text as text, other bytes as marked base64, each record on one line.

import { describe, expect, it } from 'vitest';
import type { BatchMessage } from '../../src/batch';
import type { DeadLetterRecord } from '../../src/kafka/dead-letter-replay';
import {
  compactJson,
  deadLetterLine,
  printableBytes,
  printableHeaders,
  printableValue,
  recordLine,
} from '../../scripts/printable';

function message(value: BatchMessage['value'], extra: Partial<BatchMessage> = {}): BatchMessage {
  return { offset: '1000', key: { text: 'k-1' }, value, headers: {}, timestamp: '1700000000000', ...extra };
}

describe('printable record bytes', () => {
  it('prints a JSON value as JSON, not as a string holding JSON', () => {
    const line = recordLine(3, message({ text: '{"seq":1,"note":"a b"}' }));
    expect(line).toBe(
      '{"partition":3,"offset":"1000","timestamp":"1700000000000","key":"k-1","headers":{},"valueFormat":"json","value":{"seq":1,"note":"a b"}}',
    );
    expect(JSON.parse(line).value).toEqual({ seq: 1, note: 'a b' });
  });

  it('keeps a JSON value as written: big integers are not rounded', () => {
    expect(printableValue({ text: '{"id": 12345678901234567890}' })).toEqual({
      format: 'json',
      json: '{"id":12345678901234567890}',
    });
  });

  it('puts a pretty-printed JSON value on one line, leaving whitespace inside strings alone', () => {
    expect(compactJson('{\n  "a": "x \\" y\\n",\n  "b": [1, 2]\n}\n')).toBe('{"a":"x \\" y\\n","b":[1,2]}');
  });

  it('prints text that is not JSON as text, and says so', () => {
    expect(printableValue({ text: 'hello' })).toEqual({ format: 'text', json: '"hello"' });
    expect(printableValue({ text: '' })).toEqual({ format: 'text', json: '""' });
  });

  it('tells a JSON string apart from text by its format', () => {
    expect(printableValue({ text: '"hello"' })).toEqual({ format: 'json', json: '"hello"' });
  });

  it('prints bytes that are not UTF-8 as base64, marked', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00]);
    expect(printableValue({ base64: bytes.toString('base64') })).toEqual({ format: 'base64', json: '"//4A"' });
    expect(printableBytes(bytes)).toEqual({ base64: '//4A' });
  });

  it('prints a tombstone as a null value', () => {
    expect(JSON.parse(recordLine(0, message(null)))).toMatchObject({ valueFormat: 'tombstone', value: null });
  });

  it('prints text keys and headers as text, whether they come encoded or as Buffers', () => {
    expect(printableBytes({ text: 'k' })).toBe('k');
    expect(printableBytes(Buffer.from('k'))).toBe('k');
    expect(printableBytes(null)).toBeNull();
    expect(printableHeaders({ trace: Buffer.from('abc'), raw: Buffer.from([0xc3]), enc: { text: 'x' } })).toEqual({
      trace: 'abc',
      raw: { base64: 'ww==' },
      enc: 'x',
    });
  });
});

describe('a dead letter as JSON', () => {
  const letter: DeadLetterRecord = {
    dlqPartition: 0,
    dlqOffset: '4',
    sourceTopic: 'events',
    sourcePartition: '3',
    sourceOffset: '1234',
    sourceTimestamp: '1700000000000',
    error: 'value is not valid JSON (…)',
    errorType: 'RecordRejectedError',
    attempts: '1',
    runId: 'microbatch-events-p3-1200-1299@g',
    failedAt: '2026-12-01T00:00:00.000Z',
    key: Buffer.from('key-7'),
    value: Buffer.from('not json {'),
    headers: { trace: Buffer.from('abc'), bin: Buffer.from([0xff]) },
    copies: 2,
    otherRuns: ['microbatch-events-p3-1234-1299@g'],
  };

  it('shows its key and value as text and every header of the record', () => {
    expect(JSON.parse(deadLetterLine(letter))).toEqual({
      ...letter,
      key: 'key-7',
      value: 'not json {',
      headers: { trace: 'abc', bin: { base64: '/w==' } },
    });
  });

  it('marks a value that is not UTF-8 as base64, and keeps a tombstone null', () => {
    const line = JSON.parse(deadLetterLine({ ...letter, key: null, value: Buffer.from([0x7b, 0xff]) }));
    expect(line.key).toBeNull();
    expect(line.value).toEqual({ base64: 'e/8=' });
  });
});
