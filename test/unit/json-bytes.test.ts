// Byte caps count what a record weighs in a Temporal payload (its JSON in UTF-8), not its length
// in UTF-16 code units: checked against JSON.stringify and Buffer.byteLength, which is what the
// payload converter does.

import { describe, expect, it } from 'vitest';
import { messageBytes, type BatchMessage } from '../../src/batch';
import { jsonStringBytes } from '../../src/json-bytes';
import { planBatches, type BufferedRecord } from '../../src/kafka/batch-planner';
import { encodeBytes } from '../../src/kafka/encoding';

const weight = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

const awkward = [
  '',
  'plain ascii',
  'é ß ñ', // 2 bytes each
  '漢字テキスト', // 3 bytes each
  '😀🚀', // 4 bytes each, 2 code units each
  'quotes " and backslashes \\ escaped',
  '\b\t\n\f\r', // short escapes
  '\u0000\u0001\u001f', // \u00XX
  '\u007f', // DEL is not escaped
  '\u2028\u2029', // not escaped by JSON.stringify, 3 bytes each
  '\ud800 lone high, lone low \udc00, reversed \udc00\ud800', // \uXXXX
  '{"seq":1,"text":"漢字 😀 \\"quoted\\""}',
];

describe('the weight of a string in a JSON payload', () => {
  it.each(awkward.map((s) => [JSON.stringify(s), s]))('%s weighs what JSON.stringify writes in UTF-8', (_, s) => {
    expect(jsonStringBytes(s)).toBe(weight(s));
  });

  it('matches JSON.stringify for random strings of any code units', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    for (let n = 0; n < 500; n++) {
      const units = Array.from(
        { length: Math.floor(random() * 40) },
        () =>
          // Mostly the interesting ranges: controls, ASCII, 2- and 3-byte, surrogates.
          [0x20, 0x80, 0x800, 0x10000][Math.floor(random() * 4)]! * random(),
      );
      const s = String.fromCharCode(...units.map(Math.floor));
      expect(jsonStringBytes(s)).toBe(weight(s));
    }
  });
});

describe('the weight of a record', () => {
  const messages: BatchMessage[] = [
    { offset: '0', key: null, value: null, headers: {}, timestamp: '0' },
    { offset: '1', key: encodeBytes(Buffer.from('k')), value: encodeBytes('{"a":1}'), headers: {}, timestamp: '1' },
    {
      offset: '18446744073709551615',
      key: encodeBytes(Buffer.from([0xff, 0xfe])), // not UTF-8: travels as base64
      value: encodeBytes('漢字😀 "\n'),
      headers: { trace: encodeBytes('t1')!, 'bin\u00e9': encodeBytes(Buffer.from([0xc3]))! },
      timestamp: '1700000000000',
    },
  ];

  it('is its JSON in UTF-8 plus the comma after it in a list: a batch of records weighs their sum plus 1', () => {
    for (const m of messages) expect(messageBytes(m)).toBe(weight(m) + 1);
    expect(messages.reduce((sum, m) => sum + messageBytes(m), 0) + 1).toBe(weight(messages));
  });

  it('counts non-ASCII text by its bytes: a batch whose characters fit the cap but whose bytes do not is cut', () => {
    // 1,000 characters of Chinese text: 1,000 in .length, 3,000 bytes.
    const record = (offset: number): BufferedRecord => {
      const message = {
        offset: String(offset),
        key: null,
        value: { text: '漢'.repeat(1_000) },
        headers: {},
        timestamp: '0',
      };
      return { message, bytes: messageBytes(message) };
    };
    const queue = Array.from({ length: 10 }, (_, i) => record(i));
    expect(queue[0]!.bytes).toBeGreaterThan(3_000);
    const maxBytes = 10_000; // 10 records by length, 3 by bytes
    const batches = planBatches('t', new Map([[0, queue]]), {
      maxMessages: 100,
      maxBytes,
      maxBatches: 100,
      maxTotalBytes: 1_000_000,
    });
    expect(batches.map((b) => b.count)).toEqual([3, 3, 3, 1]);
    for (const b of batches) {
      expect(b.bytes).toBeLessThanOrEqual(maxBytes);
      expect(weight(b.messages)).toBe(b.bytes + 1);
    }
  });
});
