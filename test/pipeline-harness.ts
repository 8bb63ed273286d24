// Per-test set-up of the real pipeline for integration tests: connections, the test's own topics,
// a running pipeline in this process; all closed after the test, last opened first.

import { afterEach } from 'vitest';
import type { Config } from '../src/config';
import type { DeadLetterPublisher } from '../src/kafka/dead-letter';
import { RateProducer } from '../src/producer/rate-producer';
import type { SourceRecord, TransformedRecord } from '../src/processing/transform';
import type { Sink } from '../src/sink';
import { cleanUp, connectServers, openSink, startPipeline, stopSensors, type Servers } from './helpers';

type Cleanup = () => Promise<void>;

/** Returns `defer(fn)`: fn runs after the current test. Call once per file, at top level. */
export function cleanupAfterEach(): (fn: Cleanup) => void {
  const pending: Cleanup[] = [];
  afterEach(async () => {
    for (const fn of pending.splice(0).reverse()) await fn();
  });
  return (fn) => void pending.push(fn);
}

export interface PipelineOptions {
  /** Replaces the SQLite sink (e.g. a slow or failing wrapper around it). */
  sink?: Sink;
  transform?: (record: SourceRecord) => TransformedRecord;
  /** Replaces the dead-letter publisher (e.g. one that fails after publishing). */
  deadLetters?: DeadLetterPublisher;
  /** Create the topic and the dead-letter topic first (default true). */
  createTopics?: boolean;
}

export async function setUpPipeline(
  config: Config & { sinkDir: string },
  defer: (fn: Cleanup) => void,
  options: PipelineOptions = {},
) {
  const servers = await connectServers(config);
  defer(async () => {
    await cleanUp(config, servers.admin);
    await servers.close();
  });
  if (options.createTopics !== false) {
    await servers.admin.ensureTopic(config.topic, config.topicPartitions);
    await servers.admin.ensureTopic(config.dlqTopic, 1);
  }
  const sqlite = openSink(config);
  const running = await startPipeline(config, servers, {
    sink: options.sink ?? sqlite,
    transform: options.transform,
    deadLetters: options.deadLetters,
  });
  defer(async () => {
    await stopSensors(servers.client, config);
    await running.stop();
    await sqlite.close();
  });
  return { servers, sqlite, pipeline: running.pipeline };
}

/** Produces `count` JSON messages (seq 0..count-1) as fast as the broker takes them, or at `rate`. */
export function produce(servers: Servers, topic: string, count: number, rate = 100_000) {
  // Idempotent: a send retried on a busy broker must not write its messages twice (tests count rows).
  return new RateProducer(servers.kafka, {
    topic,
    ratePerSecond: rate,
    count,
    messageBytes: 100,
    idempotent: true,
  }).run();
}
