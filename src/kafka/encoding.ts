// Converts between a Kafka client's Buffers and the JSON-safe EncodedBytes that travel through Temporal.
// Valid UTF-8 stays text (readable in the Web UI); anything else is base64, so no byte is mangled.

import type { BatchMessage, EncodedBytes } from '../batch';
import type { KafkaRecord } from './port';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function encodeBytes(data: Buffer | string | null | undefined): EncodedBytes | null {
  if (data === null || data === undefined) return null;
  if (typeof data === 'string') return { text: data };
  try {
    return { text: strictUtf8.decode(data) };
  } catch {
    return { base64: data.toString('base64') };
  }
}

export function decodeBytes(e: EncodedBytes | null): Buffer | null {
  if (e === null) return null;
  return 'text' in e ? Buffer.from(e.text, 'utf8') : Buffer.from(e.base64, 'base64');
}

/** The record's value as text, or undefined when it is absent or not valid UTF-8. */
export function textOf(e: EncodedBytes | null): string | undefined {
  return e !== null && 'text' in e ? e.text : undefined;
}

export function toBatchMessage(m: KafkaRecord): BatchMessage {
  return {
    offset: m.offset,
    key: encodeBytes(m.key),
    value: encodeBytes(m.value),
    headers: encodeHeaders(m.headers),
    timestamp: m.timestamp,
  };
}

function encodeHeaders(headers: KafkaRecord['headers']): Record<string, EncodedBytes> {
  const out: Record<string, EncodedBytes> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    // A header repeated under one name arrives as an array; keep the last, as most clients read it.
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    const encoded = encodeBytes(last);
    if (encoded) out[name] = encoded;
  }
  return out;
}

export function decodeHeaders(headers: Record<string, EncodedBytes>): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = decodeBytes(value)!;
  return out;
}
