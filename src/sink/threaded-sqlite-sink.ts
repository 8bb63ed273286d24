// The SQLite sink on a thread of its own. better-sqlite3 writes synchronously: on the worker's
// event loop, a 10,000-row insert (tens of milliseconds) stops consuming, decoding and every
// Temporal call of the process for as long. Here the insert runs on its own thread while the event
// loop goes on, and the rows cross once by structured clone (cheaper than the insert). Same
// semantics as SqliteSink, which the thread runs: its errors come back as the same classes.
//
// A thread that dies (an uncaught error, out of memory, an exit) is replaced at the next write: the
// writes it had not answered fail as an outage (SinkUnavailableError), so their runs hold and retry
// rather than dead-letter rows that may be fine, and the retry meets a fresh thread instead of a
// sink that fails until the worker process restarts. The file needs no repair: SQLite rolls back
// the transaction the thread died in.
//
// Neighbours: ./sqlite-thread.ts (the thread), ./sqlite-thread-messages.ts (what they say).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { RecordRejectedError, SinkUnavailableError } from '../errors';
import type { Sink, SinkRow, WriteMode, WriteResult } from './sink';
import type { SinkReply, SinkRequest, WriteFailure } from './sqlite-thread-messages';
import { SqliteSink } from './sqlite-sink';

interface Pending {
  resolve: (reply: SinkReply) => void;
  reject: (error: Error) => void;
}

export class ThreadedSqliteSink implements Sink {
  /** The live thread; undefined once it died (until the next write starts another) or was closed. */
  private thread: Worker | undefined;
  /** Requests the live thread has not answered; ids are unique across threads. */
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;

  /** Opens the file once here first, so a path that can never work stops the worker at startup. */
  constructor(
    readonly path: string,
    readonly writeMode: WriteMode = 'insert',
  ) {
    void new SqliteSink(path, writeMode).close();
    this.thread = this.start();
  }

  async write(rows: SinkRow[]): Promise<WriteResult> {
    if (this.closed) throw new Error('the SQLite sink is closed');
    const reply = await this.ask({ id: this.nextId++, type: 'write', rows });
    if (reply.type === 'written') return reply.result;
    if (reply.type === 'failed') throw errorOf(reply.failure);
    throw new Error(`unexpected answer from the SQLite sink's thread: ${reply.type}`);
  }

  /** Resolves also when the thread had died: there is nothing left to close then. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const thread = this.thread;
    if (!thread) return;
    // A thread that dies while closing has let go of the file all the same.
    await this.ask({ id: this.nextId++, type: 'close' }).catch(() => undefined);
    await thread.terminate();
  }

  private start(): Worker {
    const workerData = { path: this.path, writeMode: this.writeMode };
    const thread = new Worker(threadBootstrap(), { eval: true, workerData });
    thread.on('message', (reply: SinkReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) thread.unref();
      waiting?.resolve(reply);
    });
    // An uncaught error is followed by an exit: the first of the two is the cause.
    thread.on('error', (err) => this.lost(thread, `died: ${err.message}`));
    thread.on('exit', (code) => this.lost(thread, `exited (code ${code})`));
    // Idle, the thread does not keep the process alive; with a write under way it does (see ask()).
    thread.unref();
    return thread;
  }

  /** Sends a request to the live thread, starting one if the last one died. */
  private ask(request: SinkRequest): Promise<SinkReply> {
    const thread = (this.thread ??= this.start());
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) thread.ref();
      this.pending.set(request.id, { resolve, reject });
      thread.postMessage(request);
    });
  }

  /** Forgets a thread that ended; its unanswered requests fail as an outage. */
  private lost(thread: Worker, how: string): void {
    if (this.thread !== thread) return;
    this.thread = undefined;
    const error = new SinkUnavailableError(`the SQLite sink's thread ${how}`);
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}

function errorOf(failure: WriteFailure): Error {
  switch (failure.kind) {
    case 'unavailable':
      return new SinkUnavailableError(failure.message);
    case 'rejected':
      return new RecordRejectedError(failure.message, failure.offset, failure.ruleKind);
    case 'other':
      // The name says the failure's type in a run's error (SqliteError for a missing table, say).
      return Object.assign(new Error(failure.message), { name: failure.name ?? 'Error', code: failure.code });
  }
}

/**
 * Code that loads the thread's module: the compiled JavaScript beside this file, or else the
 * TypeScript source through tsx's require hook (under `npm run worker` and the tests; a thread does
 * not inherit the main thread's module hooks, so it registers its own).
 */
function threadBootstrap(): string {
  const js = join(__dirname, 'sqlite-thread.js');
  if (existsSync(js)) return `require(${JSON.stringify(js)});`;
  return `require('tsx/cjs'); require(${JSON.stringify(join(__dirname, 'sqlite-thread.ts'))});`;
}
