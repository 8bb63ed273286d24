// Backlog drain: the topic already holds M messages; the pipeline starts from a fresh group and
// loads them into its sink (SQLite or PostgreSQL, as the scenario's SINK says). Time runs from
// starting the sensors (the worker is up and bundled) until the last row's loaded_at. Also: worker
// CPU seconds and peak memory, server CPU, and what it cost Temporal.

import type { Logger } from '../../src/logger';
import { findServers, serverCpu } from './proc';
import type { Scenario } from './scenario';
import { sinkCounter } from '../sink-reader';
import { startSession } from './pipeline-session';
import { temporalCost, type TemporalCost } from './temporal-cost';

export interface DrainResult {
  /** From starting the sensors until the last row was in the sink. */
  seconds: number;
  messagesPerSecond: number;
  /** From starting the sensors until the first row was in the sink (group join, first batch). */
  firstRowSeconds: number;
  /** Rows per second between the first and the last row: the rate once the pipeline is going. */
  afterFirstRowPerSecond: number;
  /** Summed over the worker processes. */
  workerCpuSeconds: number;
  /** Of the largest worker process. */
  workerPeakRssMiB: number;
  kafkaCpuSeconds: number;
  temporalCpuSeconds: number;
  cost?: TemporalCost;
}

/** The drain's time span on the monotonic clock node's CPU profiles use (microseconds). */
export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const portOf = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));

export async function runDrain(
  s: Scenario,
  logger: Logger,
  o: {
    messages: number;
    timeoutMs: number;
    logFile: string;
    cpuProfileDir?: string;
    measureCost: boolean;
    /** Worker processes sharing the pipeline (1). */
    processes?: number;
  },
): Promise<DrainResult & { window: ProfileWindow }> {
  const session = await startSession(s, logger, o);
  const reader = sinkCounter(s.config);
  const servers = findServers(portOf(s.config.kafkaBrokers[0]!), portOf(s.config.temporalAddress));
  try {
    const workerCpu = () => session.workers.reduce((sum, w) => sum + w.cpuSeconds(), 0);
    const cpu0 = workerCpu();
    const server0 = serverCpu(servers);
    const fromUs = monotonicUs();
    const t0 = await session.startSensors();
    const deadline = t0 + o.timeoutMs;
    let count = 0;
    while ((count = await reader.count(s.config.topic)) < o.messages) {
      if (Date.now() > deadline)
        throw new Error(
          `drain of ${s.name} timed out after ${o.timeoutMs / 1000}s with ${count} of ${o.messages} rows`,
        );
      await new Promise((r) => setTimeout(r, 500));
    }
    const window = { fromUs, toUs: monotonicUs() };
    const range = await reader.loadedRange();
    const seconds = (range.last - t0) / 1000;
    const cpu1 = workerCpu();
    const server1 = serverCpu(servers);
    const result: DrainResult & { window: ProfileWindow } = {
      seconds,
      messagesPerSecond: o.messages / seconds,
      firstRowSeconds: (range.first - t0) / 1000,
      afterFirstRowPerSecond: o.messages / Math.max(0.001, (range.last - range.first) / 1000),
      workerCpuSeconds: cpu1 - cpu0,
      workerPeakRssMiB: Math.max(...session.workers.map((w) => w.peakRssMiB())),
      kafkaCpuSeconds: server1.kafka - server0.kafka,
      temporalCpuSeconds: server1.temporal - server0.temporal,
      window,
    };
    await session.stopSensors();
    if (o.measureCost) result.cost = await temporalCost(session.client, s.config, o.messages);
    return result;
  } finally {
    await reader.close();
    await session.stop();
  }
}
