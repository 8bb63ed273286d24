// A codec endpoint for the Temporal Web UI: with PAYLOAD_COMPRESSION=deflate, large payloads (the
// batches of BATCH_PAYLOAD=records) are stored compressed, and a UI pointed at this endpoint (its
// Codec Server setting, or TEMPORAL_UI_CODEC_ENDPOINT in scripts/infra/temporal.sh) asks it to
// decode them, so runs stay readable in the browser. `npm run worker` serves it on
// CODEC_SERVER_PORT; if another worker on this machine already does, it leaves it to that one.
// Protocol: POST /decode (or /encode) with {"payloads": [{metadata: {k: base64}, data: base64}]}.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { Logger } from '../logger';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function createCodecServer(codec: PayloadCodec): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    // The UI calls from the browser, on another port: allow it (loopback only, see listen()).
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'content-type, x-namespace');
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const action = req.url?.replace(/\/+$/, '').split('/').pop();
    if (req.method !== 'POST' || (action !== 'decode' && action !== 'encode')) {
      return void res.writeHead(404).end();
    }
    readBody(req)
      .then(async (body) => {
        const payloads = ((JSON.parse(body) as { payloads?: JsonPayload[] }).payloads ?? []).map(fromJson);
        const out = action === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ payloads: out.map(toJson) }));
      })
      .catch((err: Error) =>
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`cannot ${action}: ${err.message}`),
      );
  });
}

/** Serves the codec on 127.0.0.1:port; resolves to undefined if the port is taken (another worker). */
export function serveCodec(codec: PayloadCodec, port: number, logger: Logger): Promise<Server | undefined> {
  const server = createCodecServer(codec);
  return new Promise((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') logger.debug('codec endpoint already served on this machine', { port });
      else logger.warn('codec endpoint not served', { port, error: err.message });
      resolve(undefined);
    });
    server.listen(port, '127.0.0.1', () => {
      logger.info('Web UI codec endpoint', { url: `http://127.0.0.1:${port}` });
      resolve(server);
    });
  });
}
