// Opens the sink named by the SINK setting, waiting for its server if it has one. A new sink
// implements Sink (sink.ts) and gets a case here.

import type { Config } from '../config';
import { SinkUnavailableError } from '../errors';
import type { Logger } from '../logger';
import { retryUntilConnected } from '../workers/retry';
import { PostgresSink } from './postgres-sink';
import type { Sink } from './sink';
import { ThreadedSqliteSink } from './threaded-sqlite-sink';

type SinkConfig = Pick<
  Config,
  'sink' | 'sinkWriteMode' | 'sqlitePath' | 'postgres' | 'postgresTable' | 'maxConcurrentRuns'
>;

/**
 * The sink, ready to write. A PostgreSQL server that does not answer yet is waited for, with one
 * readable line per attempt; one that answers but refuses to set up the table (no permission) is
 * reported, and the worker starts anyway: its runs hold, showing that cause, until it is fixed.
 */
export async function openSink(config: SinkConfig, logger: Logger): Promise<Sink> {
  switch (config.sink) {
    case 'sqlite':
      return new ThreadedSqliteSink(config.sqlitePath, config.sinkWriteMode);
    case 'postgres': {
      const target = config.postgres!;
      const sink = new PostgresSink({
        target,
        table: config.postgresTable,
        writeMode: config.sinkWriteMode,
        poolSize: config.maxConcurrentRuns,
      });
      try {
        await retryUntilConnected(target.description, () => sink.prepare(), logger, {
          retryable: (err) => err instanceof SinkUnavailableError,
        });
        logger.info('postgres sink ready', { server: target.description, table: config.postgresTable });
      } catch (err) {
        logger.error('postgres sink cannot set up its table; runs will hold until this is fixed', {
          reason: (err as Error).message,
        });
      }
      return sink;
    }
  }
}

export type { Sink, SinkRow, WriteMode, WriteResult } from './sink';
