// The SQLite sink on a thread of its own. better-sqlite3 writes synchronously: on the worker's
// event loop, a 10,000-row insert (tens of milliseconds) stops consuming, decoding and every
// Temporal call of the process for as long. Here the insert runs on its own thread while the event
// loop goes on, and the rows cross once by structured clone (cheaper than the insert). Same
// semantics as SqliteSink, which the thread runs: its errors come back as the same classes.
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
  private readonly thread: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Set when the thread died: every later call fails with it. */
  private dead: Error | undefined;

  /** Opens the file once here first, so a path that can never work stops the worker at startup. */
  constructor(
    readonly path: string,
    readonly writeMode: WriteMode = 'insert',
  ) {
    void new SqliteSink(path, writeMode).close();
    this.thread = new Worker(threadBootstrap(), { eval: true, workerData: { path, writeMode } });
    this.thread.on('message', (reply: SinkReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.thread.unref();
      waiting?.resolve(reply);
    });
    this.thread.on('error', (err) => this.fail(err));
    this.thread.on('exit', (code) => this.fail(new Error(`the SQLite sink's thread exited (code ${code})`)));
    // Idle, the thread does not keep the process alive; with a write under way it does (see ask()).
    this.thread.unref();
  }

  async write(rows: SinkRow[]): Promise<WriteResult> {
    const reply = await this.ask({ id: this.nextId++, type: 'write', rows });
    if (reply.type === 'written') return reply.result;
    if (reply.type === 'failed') throw errorOf(reply.failure);
    throw new Error(`unexpected answer from the SQLite sink's thread: ${reply.type}`);
  }

  async close(): Promise<void> {
    if (this.dead) return;
    await this.ask({ id: this.nextId++, type: 'close' });
    this.dead = new Error('the SQLite sink is closed');
    await this.thread.terminate();
  }

  private ask(request: SinkRequest): Promise<SinkReply> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.thread.ref();
      this.pending.set(request.id, { resolve, reject });
      this.thread.postMessage(request);
    });
  }

  private fail(err: Error): void {
    this.dead ??= err;
    for (const waiting of this.pending.values()) waiting.reject(err);
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
