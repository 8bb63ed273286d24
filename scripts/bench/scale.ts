// Scale: the same backlog drain (M messages, a fresh group) with more partitions and with more
// worker processes, each against the reference of the same repeat: P partitions and one worker
// process (P is --partitions, 6 by default). The cases: 2P and 4P partitions with one process, and
// P partitions with two processes (two `npm run worker` processes of the same settings: both run
// sensors' consumers and runs, sharing the sensor and runs task queues, as README "Scaling out"
// describes). SENSOR_REPLICAS stays the workers' setting (6 by default) in every case. Per case:
// msg/s, the ratio to the reference, and the CPU the worker processes, the Temporal server and the
// Kafka broker spent per 1,000 messages, from which docs/BENCHMARKS.md projects a cluster's size.
// Opt-in (`--scenarios scale`): four drains per repeat.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KafkaAdmin, KafkaClient } from '../../src/kafka/port';
import type { Logger } from '../../src/logger';
import { runDrain, type DrainResult } from './drain';
import type { Padding } from './topics';
import { deleteTopics, prefill } from './topics';
import { findServers, serverCpu } from './proc';
import { workerLogFile } from './pipeline-session';
import { fmt, markdownTable, spread } from './report';
import { makeScenario, removeSink } from './scenario';

const portOf = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));

export interface ScaleCase {
  name: string;
  partitions: number;
  /** Worker processes sharing the pipeline. */
  processes: number;
}

export interface ScaleResult extends ScaleCase {
  drain: Omit<DrainResult, 'cost'>;
  /** Filling the topic before the drain (kafkajs producer, acks from all in-sync replicas): the broker's side of producing. */
  prefill: { seconds: number; kafkaCpuSeconds: number };
  /** Run batches the workers took from their own memory vs read back from Kafka (their `run batches served` lines). */
  batchesFromMemory?: number;
  batchesFromKafka?: number;
  /** Consumers re-joining their group during the drain (kafkajs "The group is rebalancing, re-joining"). */
  rejoins: number;
}

/** The reference first: P partitions, one worker process. */
export function scaleCases(partitions: number): ScaleCase[] {
  return [
    { name: `${partitions}p × 1 worker`, partitions, processes: 1 },
    { name: `${partitions * 2}p × 1 worker`, partitions: partitions * 2, processes: 1 },
    { name: `${partitions * 4}p × 1 worker`, partitions: partitions * 4, processes: 1 },
    { name: `${partitions}p × 2 workers`, partitions, processes: 2 },
  ];
}

export interface ScaleContext {
  kafka: KafkaClient;
  admin: KafkaAdmin;
  logger: Logger;
  runDir: string;
  /** Settings every worker gets (BENCH_WORKER_ENV, the sink's). */
  env: Record<string, string>;
  messages: number;
  messageBytes: number;
  padding: Padding;
  partitions: number;
  timeoutMs: number;
}

/** One repeat: every case drained once, the order rotated by `repeat` as the drains' is. */
export async function runScale(ctx: ScaleContext, repeat: number): Promise<ScaleResult[]> {
  const cases = scaleCases(ctx.partitions);
  const order = cases.map((_, i) => cases[(i + repeat) % cases.length]!);
  const results: ScaleResult[] = [];
  for (const c of order) {
    const tag = `scale-${c.partitions}p-${c.processes}w`;
    const s = makeScenario(tag, ctx.runDir, { ...ctx.env, KAFKA_TOPIC_PARTITIONS: String(c.partitions) });
    try {
      await ctx.admin.ensureTopic(s.config.topic, c.partitions);
      const servers = findServers(portOf(s.config.kafkaBrokers[0]!), portOf(s.config.temporalAddress));
      const kafkaCpu0 = serverCpu(servers).kafka;
      const prefillSeconds = await prefill(ctx.kafka, s.config.topic, ctx.messages, ctx.messageBytes, ctx.padding);
      const filled = { seconds: prefillSeconds, kafkaCpuSeconds: serverCpu(servers).kafka - kafkaCpu0 };
      ctx.logger.info(`pre-filled ${s.config.topic} with ${ctx.messages} messages in ${prefillSeconds.toFixed(1)}s`);
      const logFile = join(ctx.runDir, `${tag}-r${repeat + 1}.worker.log`);
      const {
        window: _,
        cost: __,
        ...drain
      } = await runDrain(s, ctx.logger, {
        messages: ctx.messages,
        timeoutMs: ctx.timeoutMs,
        logFile,
        measureCost: false,
        processes: c.processes,
      });
      const served = fromWorkerLogs(Array.from({ length: c.processes }, (_, i) => workerLogFile(logFile, i)));
      results.push({ ...c, drain, prefill: filled, ...served });
      ctx.logger.info(`repeat ${repeat + 1}: scale [${c.name}] ${drain.messagesPerSecond.toFixed(0)} msg/s`, {
        workerCpuSeconds: drain.workerCpuSeconds.toFixed(1),
        ...served,
      });
    } finally {
      await deleteTopics(ctx.admin, [s.config.topic, s.config.dlqTopic]);
      await removeSink(s);
    }
  }
  // The table reads the cases in their own order, whatever order they ran in.
  return cases.map((c) => results.find((r) => r.name === c.name)!);
}

/**
 * Summed over the workers' logs: where their runs found their batches (absent if no log says), and
 * how often a consumer re-joined its group (each time it drops its buffer and fetches again).
 */
function fromWorkerLogs(logFiles: string[]): Pick<ScaleResult, 'batchesFromMemory' | 'batchesFromKafka' | 'rejoins'> {
  let memory = 0;
  let kafka = 0;
  let rejoins = 0;
  let seen = false;
  for (const file of logFiles) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    rejoins += text.match(/The group is rebalancing, re-joining/g)?.length ?? 0;
    const m = [...text.matchAll(/run batches served .*?memory=(\d+) kafka=(\d+)/g)].pop();
    if (!m) continue;
    seen = true;
    memory += Number(m[1]);
    kafka += Number(m[2]);
  }
  return seen ? { batchesFromMemory: memory, batchesFromKafka: kafka, rejoins } : { rejoins };
}

/**
 * The scale table: a row per case, medians over repeats, the ratio taken within each repeat against
 * that repeat's reference (the first case).
 */
export function renderScale(repeats: ScaleResult[][], messages: number): string {
  const cases = repeats[0] ?? [];
  const median = (f: (r: ScaleResult) => number | undefined, i: number) =>
    spread(repeats.map((rep) => f(rep[i]!) ?? NaN)).median;
  const per1k = (seconds: number) => (seconds / messages) * 1000;
  const body = cases.map((c, i) => {
    const ratios = repeats.map((rep) => rep[i]!.drain.messagesPerSecond / rep[0]!.drain.messagesPerSecond);
    const fromKafka = median((r) => r.batchesFromKafka, i);
    const fromMemory = median((r) => r.batchesFromMemory, i);
    return [
      c.name,
      fmt(median((r) => r.drain.messagesPerSecond, i)),
      spread(ratios).median.toFixed(2),
      fmt(median((r) => per1k(r.drain.workerCpuSeconds), i)),
      fmt(median((r) => per1k(r.drain.temporalCpuSeconds), i)),
      fmt(median((r) => per1k(r.drain.kafkaCpuSeconds), i)),
      fmt(median((r) => per1k(r.prefill.kafkaCpuSeconds), i)),
      fmt(median((r) => r.drain.firstRowSeconds, i)),
      Number.isFinite(fromKafka) ? `${Math.round(fromKafka)} of ${Math.round(fromKafka + fromMemory)}` : '–',
      repeats.map((rep) => rep[i]!.rejoins).join(' / '),
    ];
  });
  return markdownTable(
    [
      'scale case',
      'msg/s',
      `ratio to ${cases[0]?.name ?? 'the first'}`,
      'worker CPU s / 1k',
      'Temporal CPU s / 1k',
      'Kafka CPU s / 1k',
      'Kafka CPU s / 1k produced',
      'first row s',
      'batches read back from Kafka',
      'consumer rejoins, per repeat',
    ],
    body,
  );
}
