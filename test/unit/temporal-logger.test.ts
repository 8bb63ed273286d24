// The Temporal SDK's log, as `npm run worker` installs it: real warnings pass, the one the SDK
// prints on every start about the activities-only consumer worker does not.

import type { LogEntry } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
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
});
