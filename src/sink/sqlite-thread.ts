// The thread side of ThreadedSqliteSink (./threaded-sqlite-sink.ts): owns one SqliteSink and
// writes the batches posted to it, one at a time, answering each with its result or its error in
// a form that crosses threads (class names do not: the main side rebuilds them from `kind`).

import { parentPort, workerData } from 'node:worker_threads';
import { RecordRejectedError, SinkUnavailableError } from '../errors';
import type { SinkRow, WriteMode } from './sink';
import { SqliteSink } from './sqlite-sink';
import type { SinkReply, SinkRequest, WriteFailure } from './sqlite-thread-messages';

const { path, writeMode } = workerData as { path: string; writeMode: WriteMode };
const sink = new SqliteSink(path, writeMode);
const port = parentPort!;

port.on('message', (request: SinkRequest) => {
  void answer(request).then((reply) => {
    port.postMessage(reply);
    // Closing the port after the last answer lets the thread end.
    if (reply.type === 'closed') port.close();
  });
});

async function answer(request: SinkRequest): Promise<SinkReply> {
  if (request.type === 'close') {
    await sink.close();
    return { id: request.id, type: 'closed' };
  }
  try {
    return { id: request.id, type: 'written', result: await sink.write(request.rows as SinkRow[]) };
  } catch (err) {
    return { id: request.id, type: 'failed', failure: failureOf(err) };
  }
}

function failureOf(err: unknown): WriteFailure {
  if (err instanceof SinkUnavailableError) return { kind: 'unavailable', message: err.message };
  if (err instanceof RecordRejectedError)
    return { kind: 'rejected', message: err.message, offset: err.offset, ruleKind: err.kind };
  const e = err as Error & { code?: unknown };
  return { kind: 'other', message: e.message ?? String(err), name: e.name, code: e.code?.toString() };
}
