// Launch: how long after a user types `npm run worker` on an existing backlog the first record is
// in the sink. The topic already holds M messages; the worker is launched through npm with
// MANAGE_SENSORS on (the default), so it starts the sensors itself, as a user's worker does. The
// workflow bundle is cached beforehand (.data/workflow-bundle, as for a user's second start) and
// the result says whether it stayed so. The time is broken down by the worker's log lines, the
// node process's start time (/proc), the consumer group's state (polled here every 100 ms) and the
// first run's start time (visibility). Only the start matters: the worker is stopped once the
// first row is in.

import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { KafkaAdmin } from '../../src/kafka/port';
import type { Logger } from '../../src/logger';
import { runsQuery, type PipelineId } from '../../src/runs';
import { BUNDLE_CACHE_DIR, bundleKey, loadWorkflowBundle } from '../../src/workers/workflow-bundle';
import { compiledBuild } from '../worker.cjs';
import { sinkCounter, type SinkCounter } from '../sink-reader';
import { startSession } from './pipeline-session';
import { childPids, startedAt } from './proc';
import type { Scenario } from './scenario';

/** Seconds from the worker's launch until each step was seen; absent when it was not. */
export interface LaunchSteps {
  /** npm has exec'd `node scripts/worker.cjs` (the node process's start time). */
  nodeStarted?: number;
  /** `connecting`: node and the modules loaded (compiled `src/`, see scripts/worker.cjs), settings read. */
  connecting?: number;
  /** `worker started`: Kafka and Temporal connected, the bundle loaded, the Temporal workers created. */
  workerStarted?: number;
  /** The first `starting Kafka consumer`: a sensor ran and asked this worker for its consumer. */
  firstConsumer?: number;
  /** The consumer group first Stable, as a Kafka admin sees it (polled every 100 ms). */
  groupStable?: number;
  /** The first MicroBatchRun started (its start time in Temporal): the first batch was consumed. */
  firstRunStarted?: number;
  /** The last `sensor running`: the worker's ensureSensors saw every replica running. */
  sensorsRunning?: number;
}

/** The steps in the order a start goes through them, with the labels the table shows. */
export const LAUNCH_STEPS: Array<[keyof LaunchSteps, string]> = [
  ['nodeStarted', 'npm started node'],
  ['connecting', 'process up (`connecting` logged)'],
  ['workerStarted', 'connected, bundle loaded (`worker started`)'],
  ['firstConsumer', 'first sensor asked for its consumer'],
  ['sensorsRunning', 'every sensor seen running'],
  ['groupStable', 'consumer group first Stable'],
  ['firstRunStarted', 'first run started (first batch consumed)'],
];

export interface LaunchResult {
  /** From launching `npm run worker` until the first row was in the sink. */
  firstRowSeconds: number;
  /** Whether the workflow bundle came from the cache (unchanged across the launch) or was built. */
  bundleCache: 'warm' | 'cold';
  steps: LaunchSteps;
}

export async function runLaunch(
  s: Scenario,
  admin: KafkaAdmin,
  logger: Logger,
  o: { timeoutMs: number; logFile: string },
): Promise<LaunchResult> {
  const bundleFile = join(BUNDLE_CACHE_DIR, `${bundleKey()}.js`);
  // A user's second start finds the bundle and the compiled worker built: make sure they are
  // (other checkouts on this machine share .data and replace the cached bundle with their own).
  await loadWorkflowBundle();
  compiledBuild();
  const bundleBefore = mtimeOf(bundleFile);
  let polling = true;
  let groupStableAt: number | undefined;
  const groupPoll = (async () => {
    while (polling && groupStableAt === undefined) {
      const group = await admin.describeGroup(s.config.groupId).catch(() => undefined);
      if (group?.state === 'Stable') groupStableAt = Date.now();
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const stopPolling = async () => {
    polling = false;
    await groupPoll;
  };
  const session = await startSession(s, logger, { logFile: o.logFile, manageSensors: true, viaNpm: true }).catch(
    async (err: unknown) => {
      await stopPolling();
      throw err;
    },
  );
  // npm runs the worker as its one child (`exec node …`).
  const nodeStartedAt = childPids(session.worker.pid).map(startedAt)[0];
  let reader: SinkCounter | undefined;
  try {
    // The worker has opened (created) the sink by now.
    reader = sinkCounter(s.config);
    const launchedAt = session.worker.launchedAt;
    const bundleCache = bundleBefore !== undefined && mtimeOf(bundleFile) === bundleBefore ? 'warm' : 'cold';
    while ((await reader.count(s.config.topic)) === 0) {
      if (Date.now() > launchedAt + o.timeoutMs)
        throw new Error(`launch of ${s.name}: no row ${o.timeoutMs / 1000}s after the worker was launched`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const { first } = await reader.loadedRange();
    await stopPolling();
    const steps = launchSteps(await readFile(o.logFile, 'utf8'), launchedAt);
    if (nodeStartedAt !== undefined) steps.nodeStarted = (nodeStartedAt - launchedAt) / 1000;
    if (groupStableAt !== undefined) steps.groupStable = (groupStableAt - launchedAt) / 1000;
    const firstRun = await firstRunStart(session.client, s.config);
    if (firstRun !== undefined) steps.firstRunStarted = (firstRun - launchedAt) / 1000;
    return { firstRowSeconds: (first - launchedAt) / 1000, bundleCache, steps };
  } finally {
    await stopPolling();
    await reader?.close();
    await session.stop();
  }
}

/** The start time (epoch ms) of the pipeline's earliest MicroBatchRun, from visibility. */
async function firstRunStart(client: Client, pipeline: PipelineId): Promise<number | undefined> {
  let first: number | undefined;
  for await (const run of client.workflow.list({ query: runsQuery(pipeline) })) {
    const at = run.startTime.getTime();
    if (first === undefined || at < first) first = at;
  }
  return first;
}

function mtimeOf(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

const LINE = /^(\d\d):(\d\d):(\d\d)\.(\d{3}) +\w+ +(?:\[[^\]]*\] )?(.*)$/;

/**
 * The steps of a worker's start, from its log (src/logger.ts lines: UTC time of day, level, scope,
 * message), in seconds after `launchedAt` (epoch ms); each step at its first line, but
 * `sensorsRunning` at the last `sensor running`.
 */
export function launchSteps(log: string, launchedAt: number): LaunchSteps {
  const midnight = Math.floor(launchedAt / 86_400_000) * 86_400_000;
  const steps: LaunchSteps = {};
  for (const line of log.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    let at = midnight + ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number(m[4]);
    // A launch just before midnight logs the next day's times.
    if (at < launchedAt - 43_200_000) at += 86_400_000;
    const seconds = (at - launchedAt) / 1000;
    const message = m[5]!;
    if (message.startsWith('connecting')) steps.connecting ??= seconds;
    else if (message.startsWith('worker started')) steps.workerStarted ??= seconds;
    else if (message.startsWith('starting Kafka consumer')) steps.firstConsumer ??= seconds;
    else if (message.startsWith('sensor running')) steps.sensorsRunning = seconds;
  }
  return steps;
}
