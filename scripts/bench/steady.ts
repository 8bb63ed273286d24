// Steady state: the pipeline is running and caught up (its consumers have joined the group); a
// producer publishes at a fixed rate for a fixed time. Every second the benchmark samples two lags:
// end-to-end (messages in the topic minus rows in the sink) and the group's committed-offset lag.
// Latency per row is loaded_at - produced_at, read from the sink once every message is in. The lag
// samples and the latency per second go into the results too, for the chart (scripts/bench/charts.ts).

import { topicLag } from '../../src/kafka/lag';
import type { KafkaAdmin, KafkaClient } from '../../src/kafka/port';
import type { Logger } from '../../src/logger';
import { RateProducer } from '../../src/producer/rate-producer';
import type { Scenario } from './scenario';
import { SinkReader } from '../sink-reader';
import { startSession } from './pipeline-session';
import type { WorkerOptions } from './worker-process';
import { latencyPerSecond, type LagPoint, type LatencyPoint } from './timeline';
import { fetchRunTimes, summarise, type StageSummary } from './latency-stages';
import { sensorWorkflowId } from '../../src/batch';
import type { EventLoopDelay } from './event-loop-delay';
import { freePort } from '../prometheus-text';

export interface SteadyResult {
  desiredRate: number;
  achievedRate: number;
  sent: number;
  latencyMs: Record<string, number>;
  maxEndToEndLag: number;
  maxCommittedLag: number;
  /** Largest end-to-end lag in the last third of the producing time vs the first two thirds. */
  lagLastThird: number;
  lagFirstTwoThirds: number;
  lagBounded: boolean;
  workerPeakRssMiB: number;
  workerCpuPerSecond: number;
  /** The worker's event-loop delay while the producer ran; absent if its metrics could not be read. */
  workerEventLoopDelay?: EventLoopDelay;
  /** Lag sampled once a second, from the producer's start until every row was in the sink. */
  lagOverTime: LagPoint[];
  /** Latency of the rows loaded in each second since the producer's start. */
  latencyOverTime: LatencyPoint[];
  /** Where the latency goes, stage by stage (./latency-stages.ts). */
  latencyStages: StageSummary;
}

export async function runSteady(
  s: Scenario,
  kafka: KafkaClient,
  admin: KafkaAdmin,
  logger: Logger,
  o: { rate: number; seconds: number; messageBytes: number; logFile: string },
): Promise<SteadyResult> {
  const session = await startSessionWithMetrics(s, logger, o);
  const reader = new SinkReader(s.config.sqlitePath);
  const { topic, groupId } = s.config;
  try {
    await session.startSensors();
    await waitForGroup(admin, groupId, Math.min(s.config.sensorReplicas, s.config.topicPartitions));
    const samples: Array<{ at: number; endToEnd: number; committed: number }> = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [lag, rows] = await Promise.all([topicLag(admin, groupId, topic), reader.count()]);
        samples.push({ at: Date.now(), endToEnd: Math.max(0, lag.totalLogEnd - rows), committed: lag.totalLag });
        await new Promise((r) => setTimeout(r, 1_000));
      }
    })();
    const cpu0 = session.worker.cpuSeconds();
    // Empties the worker's delay histogram: what the next read shows is the producing time's. If
    // this read failed, the next would cover the worker's start too: it is then left out.
    const delayWindowOpened = (await session.worker.eventLoopDelay()) !== undefined;
    const started = Date.now();
    const producer = new RateProducer(kafka, {
      topic,
      ratePerSecond: o.rate,
      count: o.rate * o.seconds,
      messageBytes: o.messageBytes,
    });
    const stats = await producer.run();
    const producedUntil = Date.now();
    const cpu1 = session.worker.cpuSeconds();
    const workerEventLoopDelay = delayWindowOpened ? await session.worker.eventLoopDelay() : undefined;
    const deadline = Date.now() + 180_000;
    while (reader.count() < stats.sent) {
      if (Date.now() > deadline)
        throw new Error(`steady state: only ${reader.count()} of ${stats.sent} rows 180 s after the producer stopped`);
      await new Promise((r) => setTimeout(r, 500));
    }
    sampling = false;
    await sampler;
    const sensors = Array.from({ length: s.config.sensorReplicas }, (_, replica) =>
      sensorWorkflowId(topic, groupId, replica),
    );
    const latencyStages = summarise(reader.rowTimes(), await fetchRunTimes(session.client, sensors));
    const during = samples.filter((x) => x.at >= started && x.at <= producedUntil);
    const cut = started + ((producedUntil - started) * 2) / 3;
    const maxOf = (xs: typeof samples, f: (x: (typeof samples)[number]) => number) =>
      xs.reduce((m, x) => Math.max(m, f(x)), 0);
    const lagFirstTwoThirds = maxOf(
      during.filter((x) => x.at < cut),
      (x) => x.endToEnd,
    );
    const lagLastThird = maxOf(
      during.filter((x) => x.at >= cut),
      (x) => x.endToEnd,
    );
    return {
      desiredRate: o.rate,
      achievedRate: stats.achievedRate,
      sent: stats.sent,
      latencyMs: reader.latency([50, 95, 99]),
      maxEndToEndLag: maxOf(samples, (x) => x.endToEnd),
      maxCommittedLag: maxOf(samples, (x) => x.committed),
      lagLastThird,
      lagFirstTwoThirds,
      // Growing lag means the pipeline falls behind; allow one second of production as slack.
      lagBounded: lagLastThird <= Math.max(lagFirstTwoThirds * 1.2, lagFirstTwoThirds + o.rate),
      workerPeakRssMiB: session.worker.peakRssMiB(),
      workerCpuPerSecond: (cpu1 - cpu0) / ((producedUntil - started) / 1000),
      workerEventLoopDelay,
      lagOverTime: samples
        .filter((x) => x.at >= started)
        .map((x) => ({ second: (x.at - started) / 1000, endToEnd: x.endToEnd, committed: x.committed })),
      latencyOverTime: latencyPerSecond(reader.latencies(), started),
      latencyStages,
    };
  } finally {
    reader.close();
    await session.stop();
  }
}

/**
 * Starts the worker serving its metrics on a free port (for its event-loop delay). The port is free
 * when picked but may be taken before the worker binds it; then the worker stops at once naming
 * METRICS_PORT, and another port is tried.
 */
async function startSessionWithMetrics(s: Scenario, logger: Logger, o: WorkerOptions) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startSession(s, logger, { ...o, metricsPort: await freePort() });
    } catch (err) {
      // Exit code 2 is a setting refused at startup; the worker's own words may come after its exit.
      const portTaken = /METRICS_PORT|\(code 2\)/.test(String(err));
      if (attempt >= 3 || !portTaken) throw err;
    }
  }
}

/** Waits until the group is Stable with `members` consumers: the pipeline is ready for traffic. */
async function waitForGroup(admin: KafkaAdmin, groupId: string, members: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const g = await admin.describeGroup(groupId);
    if (g.state === 'Stable' && g.memberClientIds.length >= members) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`consumer group ${groupId} did not reach ${members} members within 120 s`);
}
