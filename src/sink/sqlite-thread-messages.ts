// What ThreadedSqliteSink and its thread (./sqlite-thread.ts) say to each other.

import type { SinkRow, WriteResult } from './sink';

export type SinkRequest = { id: number; type: 'write'; rows: SinkRow[] } | { id: number; type: 'close' };

/** A write's error, as plain data: the main side throws the matching class again. */
export type WriteFailure =
  | { kind: 'unavailable'; message: string }
  | { kind: 'rejected'; message: string; offset?: string; ruleKind?: string }
  | { kind: 'other'; message: string; name?: string; code?: string };

export type SinkReply =
  | { id: number; type: 'written'; result: WriteResult }
  | { id: number; type: 'failed'; failure: WriteFailure }
  | { id: number; type: 'closed' };
