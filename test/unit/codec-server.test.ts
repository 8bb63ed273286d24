// The Web UI's codec endpoint decodes what the workers compressed (and answers the browser's
// CORS preflight), so runs stay readable in the UI with PAYLOAD_COMPRESSION=deflate.

import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodecServer } from '../../src/workers/codec-server';
import { COMPRESSED_ENCODING, DeflateCodec } from '../../src/workers/compression-codec';

const codec = new DeflateCodec();
const server = createCodecServer(codec);
let url: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => void server.close());

describe('the codec endpoint', () => {
  it('decodes compressed payloads back to the JSON the workflow saw', async () => {
    const json = JSON.stringify({
      batch: Array.from({ length: 500 }, (_, i) => ({ offset: String(i), value: { text: `{"seq":${i}}` } })),
    });
    const [compressed] = await codec.encode([
      { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(json) },
    ]);
    expect(Buffer.from(compressed!.metadata!.encoding!).toString()).toBe(COMPRESSED_ENCODING);

    const body = {
      payloads: [
        {
          metadata: {
            encoding: Buffer.from(compressed!.metadata!.encoding!).toString('base64'),
            'deflate-original-encoding': Buffer.from('json/plain').toString('base64'),
          },
          data: Buffer.from(compressed!.data!).toString('base64'),
        },
      ],
    };
    const res = await fetch(`${url}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const [decoded] = ((await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> })
      .payloads;
    expect(Buffer.from(decoded!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(Buffer.from(decoded!.data, 'base64').toString()).toBe(json);
  });

  it("answers the browser's preflight from the Web UI's origin", async () => {
    const res = await fetch(`${url}/decode`, { method: 'OPTIONS', headers: { origin: 'http://localhost:8233' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(res.headers.get('access-control-allow-headers')).toContain('x-namespace');
  });
});
