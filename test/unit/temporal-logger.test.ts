// The Temporal SDK's log, as `npm run worker` installs it: real warnings pass, the one the SDK
// prints on every start about the activities-only consumer worker does not, nor the attempts that
// failed because of an outage or a systemic failure (the run logs those once).

import type { LogEntry } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { SinkUnavailableError, SourceUnavailableError, SystemicFailureError } from '../../src/errors';
import { TemporalLogger } from '../../src/workers/connect';

function logged(write: (logger: TemporalLogger) => void): string[] {
  const entries: LogEntry[] = [];
  write(new TemporalLogger('WARN', (entry) => entries.push(entry)));
  return entries.map((e) => `${e.level} ${e.message}`);
}

describe('the Temporal logger', () => {
  it('drops the warning that an activities-only worker polls no workflow tasks', () => {
    expect(
      logged((l) => l.warn('No workflows registered, not polling for workflow tasks', { taskQueue: 'q' })),
    ).toEqual([]);
  });

  it('keeps other warnings and errors, and still drops what is below its level', () => {
    expect(
      logged((l) => {
        l.info('Worker state changed');
        l.warn('Activity failed');
        l.error('Worker failed');
      }),
    ).toEqual(['WARN Activity failed', 'ERROR Worker failed']);
  });

  it('keeps an attempt that failed because of an outage or a systemic failure out of the warnings (the run says it once)', () => {
    const failed = (error: Error) => (l: TemporalLogger) => l.warn('Activity failed', { error });
    expect(logged(failed(new SinkUnavailableError('database is restarting')))).toEqual([]);
    expect(logged(failed(new SourceUnavailableError('broker away')))).toEqual([]);
    expect(logged(failed(new SystemicFailureError('the transform fails on every record')))).toEqual([]);
    expect(logged(failed(new Error('the transform failed on 1 of 10 records')))).toEqual(['WARN Activity failed']);
  });
});
