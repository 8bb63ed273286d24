import { describe, expect, it } from 'vitest';
import { decodeBytes, encodeBytes, toBatchMessage } from '../../src/kafka/encoding';

describe('record encoding', () => {
  it('keeps valid UTF-8 as readable text', () => {
    expect(encodeBytes(Buffer.from('{"a":"é✓"}'))).toEqual({ text: '{"a":"é✓"}' });
  });

  it('carries bytes that are not valid UTF-8 as base64, unchanged', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]);
    const encoded = encodeBytes(bytes);
    expect(encoded).toHaveProperty('base64');
    expect(decodeBytes(encoded)!.equals(bytes)).toBe(true);
  });

  it('keeps null keys and values (tombstones) as null, and empty values as empty', () => {
    const m = toBatchMessage({
      key: null,
      value: null,
      offset: '7',
      timestamp: '1',
      attributes: 0,
      headers: {},
    } as never);
    expect(m.key).toBeNull();
    expect(m.value).toBeNull();
    expect(encodeBytes(Buffer.alloc(0))).toEqual({ text: '' });
  });

  it('encodes headers, keeping the last of a repeated header', () => {
    const m = toBatchMessage({
      key: Buffer.from('k'),
      value: Buffer.from('v'),
      offset: '1',
      timestamp: '1',
      attributes: 0,
      headers: { a: Buffer.from('x'), b: [Buffer.from('1'), Buffer.from('2')], c: undefined },
    } as never);
    expect(m.headers).toEqual({ a: { text: 'x' }, b: { text: '2' } });
  });
});
