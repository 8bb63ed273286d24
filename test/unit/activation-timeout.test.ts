// The workflow threads' activation timeout (src/workers/activation-timeout.ts) goes through an SDK
// option its types do not declare: this checks that the SDK still reads it, so that an SDK upgrade
// that drops or renames it fails here rather than bringing back the 5 s default unnoticed.

import { DefaultLogger } from '@temporalio/worker';
import { noopMetricMeter } from '@temporalio/common';
// Not in the package's index: what Worker.create uses to turn options into the ones it runs with.
import { compileWorkerOptions } from '@temporalio/worker/lib/worker-options';
import { describe, expect, it } from 'vitest';
import { activationTimeoutOptions } from '../../src/workers/activation-timeout';

describe('workflow activation timeout', () => {
  it('is what the SDK compiles into the worker options: 10 minutes, not its 5 s default', () => {
    const logger = new DefaultLogger('ERROR');
    const compiled = compileWorkerOptions({ taskQueue: 'q', ...activationTimeoutOptions }, logger, noopMetricMeter);
    expect(compiled.isolateExecutionTimeoutMs).toBe(10 * 60_000);
    expect(compileWorkerOptions({ taskQueue: 'q' }, logger, noopMetricMeter).isolateExecutionTimeoutMs).toBe(5_000);
  });
});
