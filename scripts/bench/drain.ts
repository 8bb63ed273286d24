// Backlog drain: the topic already holds M messages; the pipeline starts from a fresh group and
// loads them into its sink. Time runs from starting the sensors (the worker is up and bundled)
// until the last row's loaded_at. Also: worker CPU seconds and peak memory, server CPU, and what
// it cost Temporal.

import type { Logger } from '../../src/logger';
import { findServers, serverCpu } from './proc';
import type { Scenario } from './scenario';
import { SinkReader } from './sink-reader';
import { startSession } from './pipeline-session';
import { temporalCost, type TemporalCost } from './temporal-cost';

export interface DrainResult {
  seconds: number;
  messagesPerSecond: number;
  workerCpuSeconds: number;
  workerPeakRssMiB: number;
  kafkaCpuSeconds: number;
  temporalCpuSeconds: number;
  cost?: TemporalCost;
}

export async function runDrain(
  s: Scenario,
  logger: Logger,
  o: { messages: number; timeoutMs: number; logFile: string; cpuProfileDir?: string; measureCost: boolean },
): Promise<DrainResult> {
  const session = await startSession(s, logger, o);
  const reader = new SinkReader(s.config.sqlitePath);
  const servers = findServers();
  try {
    const cpu0 = session.worker.cpuSeconds();
    const server0 = serverCpu(servers);
    const t0 = await session.startSensors();
    const deadline = t0 + o.timeoutMs;
    let count = 0;
    while ((count = reader.count()) < o.messages) {
      if (Date.now() > deadline) throw new Error(`drain of ${s.name} timed out after ${o.timeoutMs / 1000}s with ${count} of ${o.messages} rows`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const seconds = (reader.loadedRange().last - t0) / 1000;
    const cpu1 = session.worker.cpuSeconds();
    const server1 = serverCpu(servers);
    const result: DrainResult = {
      seconds,
      messagesPerSecond: o.messages / seconds,
      workerCpuSeconds: cpu1 - cpu0,
      workerPeakRssMiB: session.worker.peakRssMiB(),
      kafkaCpuSeconds: server1.kafka - server0.kafka,
      temporalCpuSeconds: server1.temporal - server0.temporal,
    };
    await session.stopSensors();
    if (o.measureCost) result.cost = await temporalCost(session.client, s.config.topic, o.messages);
    return result;
  } finally {
    reader.close();
    await session.stop();
  }
}
