// A Temporal payload codec that deflates large payloads (batches of Kafka records) before they go
// to the server, and inflates them on the way back. Every batch crosses Temporal several times (the
// consume-batch result, the child's input, the process-batch input) and is stored in histories each
// time; JSON records compress well, so histories shrink and the server writes less.
//
// Client and workers must agree: a process without the codec cannot read compressed payloads
// (connect.ts and pipeline.ts both take it from PAYLOAD_COMPRESSION). The Web UI shows compressed
// payloads as binary unless it is given a codec endpoint (`--ui-codec-endpoint`).

import { promisify } from 'node:util';
import { constants, deflateRaw, inflateRaw } from 'node:zlib';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import type { Config } from '../config';

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

/** The metadata `encoding` of a compressed payload; its original encoding moves to ORIGINAL_ENCODING. */
export const COMPRESSED_ENCODING = 'binary/deflate';
const ORIGINAL_ENCODING = 'deflate-original-encoding';

/** Smaller payloads are sent as they are: compressing them saves little and costs a thread-pool hop. */
const MIN_BYTES = 4 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class DeflateCodec implements PayloadCodec {
  /** zlib level 1: most of the size gain at a small share of the CPU of the default level. */
  constructor(private readonly level = constants.Z_BEST_SPEED) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((p) => this.encodeOne(p)));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((p) => decodeOne(p)));
  }

  private async encodeOne(payload: Payload): Promise<Payload> {
    const data = payload.data;
    if (!data || data.length < MIN_BYTES) return payload;
    const compressed = await deflate(data, { level: this.level });
    if (compressed.length >= data.length) return payload;
    const { encoding, ...rest } = payload.metadata ?? {};
    const metadata: Record<string, Uint8Array> = { ...rest, encoding: encoder.encode(COMPRESSED_ENCODING) };
    if (encoding) metadata[ORIGINAL_ENCODING] = encoding;
    return { ...payload, metadata, data: compressed };
  }
}

async function decodeOne(payload: Payload): Promise<Payload> {
  const encoding = payload.metadata?.encoding;
  if (!encoding || decoder.decode(encoding) !== COMPRESSED_ENCODING) return payload;
  const { [ORIGINAL_ENCODING]: original, encoding: _compressed, ...rest } = payload.metadata!;
  const metadata: Record<string, Uint8Array> = { ...rest };
  if (original) metadata.encoding = original;
  return { ...payload, metadata, data: await inflate(payload.data ?? new Uint8Array()) };
}

/** The data converter every client and worker of this app uses, per PAYLOAD_COMPRESSION. */
export function dataConverterFor(config: Pick<Config, 'payloadCompression'>): DataConverter | undefined {
  return config.payloadCompression === 'deflate' ? { payloadCodecs: [new DeflateCodec()] } : undefined;
}
