// Chooses the sink named by the SINK setting. A new sink implements Sink (sink.ts) and gets a case here.

import type { Config } from '../config';
import type { Sink } from './sink';
import { SqliteSink } from './sqlite-sink';

export function createSink(config: Pick<Config, 'sink' | 'sqlitePath'>): Sink {
  switch (config.sink) {
    case 'sqlite':
      return new SqliteSink(config.sqlitePath);
  }
}

export type { Sink, SinkRow, WriteResult } from './sink';
