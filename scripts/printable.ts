// How the command-line scripts show Kafka record bytes to a person, in JSON lines: text as text, a
// JSON value as JSON, and only bytes that are not UTF-8 as base64, marked as such. Used by
// `npm run records` (scripts/records.ts) and `npm run dlq -- list --json` (scripts/dlq.ts).

import type { BatchMessage, EncodedBytes } from '../src/batch';
import type { DeadLetterRecord } from '../src/kafka/dead-letter-replay';
import { encodeBytes } from '../src/kafka/encoding';

/**
 * A key or header as JSON: a string when the bytes are UTF-8 text, else `{"base64": "…"}` (an object
 * can never be text, so the marker cannot be mistaken for it); null when absent.
 */
export type PrintableBytes = string | { base64: string } | null;

export function printableBytes(bytes: EncodedBytes | Buffer | null): PrintableBytes {
  const e = Buffer.isBuffer(bytes) ? encodeBytes(bytes) : bytes;
  if (e === null) return null;
  return 'text' in e ? e.text : { base64: e.base64 };
}

export function printableHeaders(headers: Record<string, EncodedBytes | Buffer>): Record<string, PrintableBytes> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, printableBytes(value)]));
}

/**
 * What a record's value is, as `npm run records` prints it: `json` (the value, as JSON), `text`
 * (a string), `base64` (bytes that are not UTF-8, as a base64 string) or `tombstone` (null).
 */
export type ValueFormat = 'json' | 'text' | 'base64' | 'tombstone';

/** The value as a JSON fragment and its format. JSON text is kept as written, only its whitespace removed. */
export function printableValue(value: EncodedBytes | null): { format: ValueFormat; json: string } {
  if (value === null) return { format: 'tombstone', json: 'null' };
  if ('base64' in value) return { format: 'base64', json: JSON.stringify(value.base64) };
  if (value.text.trim() !== '') {
    try {
      JSON.parse(value.text);
      // Kept as written, not re-serialised: JSON.parse rounds integers beyond 2^53.
      return { format: 'json', json: compactJson(value.text) };
    } catch {
      // not JSON: shown as text
    }
  }
  return { format: 'text', json: JSON.stringify(value.text) };
}

/** Valid JSON text without the whitespace between its tokens (so a value fits on one line). */
export function compactJson(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') {
      out += c;
    }
  }
  return out;
}

/** One line of `npm run records`: where the record is, its key, headers, and value last. */
export function recordLine(partition: number, m: BatchMessage): string {
  const head = JSON.stringify({
    partition,
    offset: m.offset,
    timestamp: m.timestamp,
    key: printableBytes(m.key),
    headers: printableHeaders(m.headers),
  });
  const { format, json } = printableValue(m.value);
  return `${head.slice(0, -1)},"valueFormat":"${format}","value":${json}}`;
}

/**
 * One line of `npm run dlq -- list --json`: where the record came from and why it failed, then its
 * key, value and own headers (the dlq.* ones are the fields before), text as text. The value is
 * shown as text, not parsed: a dead letter's value is often JSON that does not parse.
 */
export function deadLetterLine(r: DeadLetterRecord): string {
  return JSON.stringify({
    ...r,
    key: printableBytes(r.key),
    value: printableBytes(r.value),
    headers: printableHeaders(r.headers),
  });
}
