import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import { COMPRESSED_ENCODING, DeflateCodec, dataConverterFor } from '../../src/workers/compression-codec';

const codec = new DeflateCodec();
const text = (bytes: Uint8Array | null | undefined) => new TextDecoder().decode(bytes ?? new Uint8Array());

describe('payload compression codec', () => {
  it('a large JSON payload is stored compressed and decodes to the same value', async () => {
    const batch = {
      messages: Array.from({ length: 500 }, (_, i) => ({
        offset: String(i),
        value: { text: `{"seq":${i},"payload":"abc"}` },
      })),
    };
    const payload = defaultPayloadConverter.toPayload(batch);
    const [encoded] = await codec.encode([payload]);
    expect(text(encoded!.metadata!.encoding)).toBe(COMPRESSED_ENCODING);
    expect(encoded!.data!.length).toBeLessThan(payload.data!.length / 4);
    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(batch);
  });

  it('small payloads pass through untouched', async () => {
    const payload = defaultPayloadConverter.toPayload({ replica: 1 });
    expect(await codec.encode([payload])).toEqual([payload]);
  });

  it('payloads it did not compress are decoded as they are', async () => {
    const payload = defaultPayloadConverter.toPayload('x'.repeat(10_000));
    const plain = { ...payload };
    expect(await codec.decode([plain])).toEqual([payload]);
  });

  it('is used only when PAYLOAD_COMPRESSION is deflate', () => {
    expect(dataConverterFor({ payloadCompression: 'none' })).toBeUndefined();
    expect(dataConverterFor({ payloadCompression: 'deflate' })?.payloadCodecs).toHaveLength(1);
  });
});
