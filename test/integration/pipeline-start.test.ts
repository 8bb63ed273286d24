// A pipeline that cannot start, against the real Temporal server: createPipeline creates its
// workers side by side, and when one cannot be created it stops those it did create before the
// error goes on, so the caller can close the connection (src/workers/main.ts does, in `finally`).

import { expect, it } from 'vitest';
import { createPipeline } from '../../src/workers/pipeline';
import { cleanUp, connectServers, logger, openSink, sharedBundle, testConfig } from '../helpers';

it('a pipeline whose workflow workers cannot be created fails with their error and leaves the connection free to close', async () => {
  const config = testConfig();
  const servers = await connectServers(config);
  const sink = openSink(config);
  try {
    // The workers with workflows (sensor and runs queues) fail while creating their workflow
    // thread; the consumer queue's worker has activities only and is created.
    const broken = { code: `throw new Error('a broken bundle');\n${(await sharedBundle()).code}` };
    const started = createPipeline({ ...servers, config, sink, logger, workflowBundle: broken });
    await expect(started).rejects.toThrow('a broken bundle');
  } finally {
    await sink.close();
    await cleanUp(config, servers.admin);
  }
  // Before: "Cannot close connection while Workers hold a reference to it".
  await expect(servers.close()).resolves.toBeUndefined();
});
