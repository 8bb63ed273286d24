// The pipeline's workers for one test's config on a Temporal test environment of the test's own (a
// time-skipping server, or a dev server with lowered thresholds), with the real Kafka broker and a
// real SQLite sink. For tests that cannot use the shared dev server (see test/pipeline-harness.ts).

import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Config } from '../src/config';
import { createKafkaClient } from '../src/kafka/client';
import type { SourceRecord, TransformedRecord } from '../src/processing/transform';
import type { Sink } from '../src/sink';
import { connectAdmin } from '../src/workers/connect';
import { createPipeline } from '../src/workers/pipeline';
import { cleanUp, logger, openSink, sharedBundle } from './helpers';

export interface PipelineOnEnvOptions {
  /** Create the topic and the dead-letter topic first (default true). */
  createTopic?: boolean;
  /** Replaces the SQLite sink (e.g. one that is down for a while). */
  sink?: Sink;
  transform?: (record: SourceRecord) => TransformedRecord;
}

/** Starts the workers; `defer` receives what closes them and deletes the test's topics, in order. */
export async function startPipelineOnEnv(
  env: TestWorkflowEnvironment,
  config: Config & { sinkDir: string },
  defer: (fn: () => Promise<void>) => void,
  options: PipelineOnEnvOptions = {},
) {
  const kafka = await createKafkaClient(config, logger);
  const admin = await connectAdmin(kafka, config, logger);
  defer(async () => {
    await cleanUp(config, admin);
    await admin.close();
  });
  if (options.createTopic !== false) {
    await admin.ensureTopic(config.topic, config.topicPartitions);
    await admin.ensureTopic(config.dlqTopic, 1);
  }
  const sqlite = openSink(config);
  const pipeline = await createPipeline({
    config,
    connection: env.nativeConnection,
    client: env.client,
    kafka,
    admin,
    sink: options.sink ?? sqlite,
    logger,
    transform: options.transform,
    workflowBundle: await sharedBundle(),
  });
  const running = pipeline.run();
  defer(async () => {
    pipeline.shutdown();
    await running;
    await sqlite.close();
  });
  return { kafka, admin, sqlite };
}
