// Gauges read when Prometheus scrapes, not kept up to date in between: consumer lag (two Kafka
// admin requests) and each sensor's state (a status query per sensor). A read is shared by the
// gauges it feeds and reused for MIN_READ_INTERVAL_MS, so the cost stays bounded however often, and
// by how many scrapers, the endpoint is read.
//
// Which process reports what: every process with the sensor role reports the whole topic's lag (the
// dashboard takes the max over processes), and a sensor's state is reported by the process holding
// its consumer, so each sensor is queried by one process only. Wired in src/workers/pipeline.ts.

import type { Client } from '@temporalio/client';
import { sensorWorkflowId } from '../batch';
import type { PartitionLag } from '../kafka/lag';
import type { Logger } from '../logger';
import { statusQuery } from '../workflows/sensor';
import type { PipelineMetrics } from './pipeline-metrics';

/** Fresh enough for a 15 s scrape interval, and at most one read per group every 5 s. */
export const MIN_READ_INTERVAL_MS = 5_000;
/** A status query a busy worker takes longer than this to answer is reported next time. */
const QUERY_TIMEOUT_MS = 5_000;

/** A read shared by everyone who asks while it runs, and reused until it is older than `freshMs`. */
export function sharedRead(read: () => Promise<void>, freshMs = MIN_READ_INTERVAL_MS): () => Promise<void> {
  let last: { at: number; done: Promise<void> } | undefined;
  return () => {
    if (!last || Date.now() - last.at >= freshMs) last = { at: Date.now(), done: read() };
    return last.done;
  };
}

/** Reports `read`'s lag per partition; on failure drops the series (stale lag would mislead). */
export function readLagAtScrape(metrics: PipelineMetrics, read: () => Promise<PartitionLag[]>, logger: Logger): void {
  metrics.readAtScrape(
    'lag',
    sharedRead(async () => {
      try {
        const partitions = await read();
        metrics.consumerLag.reset();
        for (const p of partitions) metrics.consumerLag.set({ partition: String(p.partition) }, p.lag);
      } catch (err) {
        metrics.consumerLag.reset();
        metrics.connectionFailed('kafka');
        logger.debug('could not read consumer lag for metrics', { error: String(err) });
      }
    }),
  );
}

export interface SensorStateSource {
  client: Client;
  topic: string;
  groupId: string;
  /** Replicas whose consumer this process holds now (ConsumerRegistry.heldReplicas). */
  replicas: () => number[];
}

/** Reports in-flight runs, paused and halted for each sensor whose consumer this process holds. */
export function readSensorsAtScrape(metrics: PipelineMetrics, source: SensorStateSource, logger: Logger): void {
  const gauges = [metrics.sensorInFlightRuns, metrics.sensorPaused, metrics.sensorHalted];
  metrics.readAtScrape(
    'sensors',
    sharedRead(async () => {
      const states = await Promise.all(
        source.replicas().map(async (replica) => {
          const handle = source.client.workflow.getHandle(sensorWorkflowId(source.topic, source.groupId, replica));
          try {
            return { replica, status: await withTimeout(handle.query(statusQuery), QUERY_TIMEOUT_MS) };
          } catch (err) {
            if (isUnavailable(err)) metrics.connectionFailed('temporal');
            logger.debug('could not query a sensor for metrics', { replica, error: String(err) });
            return { replica, status: undefined };
          }
        }),
      );
      for (const gauge of gauges) gauge.reset();
      for (const { replica, status } of states) {
        if (!status) continue;
        const labels = { replica: String(replica) };
        metrics.sensorInFlightRuns.set(labels, status.inFlightRuns);
        metrics.sensorPaused.set(labels, status.paused ? 1 : 0);
        metrics.sensorHalted.set(labels, status.halted ? 1 : 0);
      }
    }),
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** gRPC UNAVAILABLE (14) or DEADLINE_EXCEEDED (4), on the error or its cause: Temporal was not reached. */
function isUnavailable(err: unknown): boolean {
  const codeOf = (e: unknown) => (e as { code?: unknown } | undefined)?.code;
  const codes = [codeOf(err), codeOf((err as { cause?: unknown } | undefined)?.cause)];
  return codes.includes(14) || codes.includes(4);
}
