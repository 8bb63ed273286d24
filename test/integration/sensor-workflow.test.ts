// The sensor's tick logic, with scripted consume-batch activities instead of Kafka: when it waits,
// when it does not, what it commits when, backpressure, pause/resume and continue-as-new. Runs on
// TestWorkflowEnvironment.createLocal, a dev server started from the installed `temporal` binary.

import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { compareOffsets, runWorkflowId, type Batch, type PartitionOffset, type RunBatch } from '../../src/batch';
import type { ConsumeInput, ConsumeResult, SensorActivities } from '../../src/activities/sensor-activities';
import type { RunActivities } from '../../src/activities/run-activities';
import { PipelineMetrics } from '../../src/metrics/pipeline-metrics';
import { runMetricsSinks } from '../../src/metrics/run-sinks';
import * as searchAttributes from '../../src/search-attributes';
import { KafkaSensor } from '../../src/workflows';
import {
  pauseSignal,
  recordsWaitingSignal,
  resetOffsetsSignal,
  resumeSignal,
  statusQuery,
  stopSignal,
  type SensorSettings,
} from '../../src/workflows/sensor';
import { sharedBundle, uniqueName, waitFor } from '../helpers';
import { syntheticBatch } from '../synthetic-batch';

const batch = (partition: number, first: number, count: number): Batch =>
  syntheticBatch('scripted', partition, first, count);

/** Hands out consecutive batches of one partition, `size` records each. */
function partitionFeed(partition = 0, size = 10) {
  let next = 0;
  return () => {
    const b = batch(partition, next, size);
    next += size;
    return b;
  };
}

/** The consumer group the scripted sensors say they read with: it is part of their runs' IDs. */
const GROUP = 'scripted-group';

interface Script {
  consume(input: ConsumeInput): Promise<ConsumeResult> | ConsumeResult;
  processBatch?(b: RunBatch): Promise<void>;
  /** What commitOffsets settles; by default all it is sent. */
  commit?(offsets: PartitionOffset[]): PartitionOffset[];
  /** The consumer's reset (npm run reset); by default every target is applied. */
  resetOffsets?(targets: PartitionOffset[]): PartitionOffset[];
}

interface Harness {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundle;
}

async function startEnv(extraArgs: string[] = []): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: inject('temporalBin') },
      searchAttributes: Object.values(searchAttributes),
      extraArgs,
    },
  });
}

function settings(overrides: Partial<SensorSettings> = {}): SensorSettings {
  return {
    maxBatchSize: 10,
    maxBatchBytes: 100_000,
    maxResultBytes: 1_572_864,
    maxBatchWaitMs: 100,
    maxTickRuntimeMs: 1_000,
    timeBetweenTicksMs: 1_500,
    retryMaxBackoffMs: 30_000,
    maxInFlightRuns: 50,
    runsTaskQueue: '',
    run: { maxAttempts: 2, retryInitialIntervalMs: 100, activityTimeoutMs: 30_000, outageMaxBackoffMs: 30_000 },
    ...overrides,
  };
}

/** Runs a sensor with scripted activities until `body` returns, then stops it. */
async function withSensor(
  h: Harness,
  script: Script,
  sensorSettings: SensorSettings,
  body: (ctx: {
    handle: ReturnType<TestWorkflowEnvironment['client']['workflow']['getHandle']>;
    calls: ConsumeInput[];
  }) => Promise<void>,
) {
  const name = uniqueName('sensor');
  const queues = { sensor: `${name}-sensor`, consumer: `${name}-consumer`, runs: `${name}-runs` };
  const calls: ConsumeInput[] = [];
  const sensorActivities: SensorActivities = {
    claimConsumer: async () => ({ taskQueue: queues.consumer }),
    consumeBatch: async (input) => {
      calls.push(structuredClone(input));
      return script.consume(input);
    },
    commitOffsets: async (input) => script.commit?.(input.offsets) ?? input.offsets,
    resetOffsets: async (input) => script.resetOffsets?.(input.targets) ?? input.targets,
    releaseConsumer: async () => undefined,
    findUnfinishedRuns: async (ids) => {
      const running: string[] = [];
      for (const id of ids) {
        const d = await h.env.client.workflow
          .getHandle(id)
          .describe()
          .catch(() => undefined);
        if (d?.status.name === 'RUNNING') running.push(id);
      }
      return running;
    },
  };
  const runActivities: RunActivities = {
    processBatch: async ({ batch }) => {
      await script.processBatch?.(batch);
      return { loaded: batch.count, alreadyLoaded: 0, deadLettered: 0 };
    },
  };
  const common = {
    connection: h.env.nativeConnection,
    workflowBundle: h.bundle,
    // The bundle's run-metrics interceptor calls these.
    sinks: runMetricsSinks(new PipelineMetrics({ topic: name, groupId: name })),
  };
  const workers = await Promise.all([
    Worker.create({ ...common, taskQueue: queues.sensor, activities: sensorActivities }),
    Worker.create({ ...common, taskQueue: queues.consumer, activities: sensorActivities }),
    Worker.create({ ...common, taskQueue: queues.runs, activities: runActivities }),
  ]);
  const running = workers.map((w) => w.run());
  const handle = await h.env.client.workflow.start(KafkaSensor, {
    workflowId: name,
    taskQueue: queues.sensor,
    args: [
      { topic: 'scripted', groupId: GROUP, replica: 0, settings: { ...sensorSettings, runsTaskQueue: queues.runs } },
    ],
  });
  try {
    await body({ handle, calls });
  } finally {
    await handle.signal(stopSignal);
    await handle.result().catch(() => undefined);
    for (const w of workers) w.shutdown();
    await Promise.all(running);
  }
}

const empty = (input: ConsumeInput): ConsumeResult => ({
  batches: [],
  assignment: [0],
  settled: input.commit,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A test environment and the bundle, made once for the describe block that calls it. */
function harnessPerDescribe(): Harness {
  const h = {} as Harness;
  beforeAll(async () => {
    h.env = await startEnv();
    h.bundle = await sharedBundle();
  });
  afterAll(async () => {
    await h.env?.teardown();
  });
  return h;
}

describe('the sensor workflow', () => {
  const h = harnessPerDescribe();

  it('waits TIME_BETWEEN_SENSOR_TICKS between ticks once it has caught up', async () => {
    // Each caught-up tick is one empty consume-batch call; the gap between calls is the wait.
    const callTimes: number[] = [];
    const consume = (input: ConsumeInput) => (callTimes.push(Date.now()), empty(input));
    // Nothing to commit on an idle topic: an idle tick is one call, with no commit call after it.
    const commitCalls: PartitionOffset[][] = [];
    const commit = (offsets: PartitionOffset[]) => (commitCalls.push(offsets), offsets);
    await withSensor(h, { consume, commit }, settings({ timeBetweenTicksMs: 2_000 }), async ({ handle }) => {
      await waitFor('three ticks', () => callTimes.length >= 3, 20_000);
      expect((await handle.query(statusQuery)).ticks).toBeGreaterThanOrEqual(3);
      expect(commitCalls).toEqual([]);
    });
    for (let i = 1; i < 3; i++) expect(callTimes[i]! - callTimes[i - 1]!).toBeGreaterThanOrEqual(1_900);
  });

  it('after a wait between ticks, takes what is buffered at once instead of waiting for a full batch', async () => {
    // Tick 1: call 1 finds records, call 2 none: caught up, the sensor waits. Tick 2's first call
    // (3) must not wait MAX_BATCH_WAIT again; its later calls (4) do. The first tick of all waits.
    const feed = partitionFeed();
    const script = [true, false, true, false];
    const waits: number[] = [];
    const consume = (input: ConsumeInput): ConsumeResult => {
      waits.push(input.request.maxWaitMs);
      const found = script[waits.length - 1] ?? false;
      return found ? { ...empty(input), batches: [feed()] } : empty(input);
    };
    await withSensor(h, { consume }, settings({ maxBatchWaitMs: 700, timeBetweenTicksMs: 500 }), async () => {
      await waitFor('four calls', () => waits.length >= 4, 20_000);
    });
    expect(waits.slice(0, 4)).toEqual([700, 700, 0, 700]);
  });

  it('starts the next tick at once while calls find records, even fewer than a full batch', async () => {
    const feed = partitionFeed();
    // One short batch per call, as a steady stream gives. A one-hour wait between ticks: if the
    // sensor waited after a tick that found records, the tick count would stop at 1.
    const flowing = (input: ConsumeInput): ConsumeResult => ({ ...empty(input), batches: [feed()] });
    await withSensor(
      h,
      { consume: flowing },
      settings({ timeBetweenTicksMs: 3_600_000, maxTickRuntimeMs: 500 }),
      async ({ handle }) => {
        await waitFor('three ticks', async () => (await handle.query(statusQuery)).ticks >= 3, 20_000);
        expect((await handle.query(statusQuery)).phase).not.toBe('waiting between ticks');
      },
    );
  });

  it('cuts a wait between ticks short when the consumer signals records for its latest call, not an older one', async () => {
    // Every call finds nothing, so the sensor waits an hour after each. Only the signal carrying
    // the latest call's token may end that wait (src/sensor-wake.ts).
    await withSensor(h, { consume: empty }, settings({ timeBetweenTicksMs: 3_600_000 }), async ({ handle, calls }) => {
      const waiting = async () => (await handle.query(statusQuery)).phase === 'waiting between ticks';
      await waitFor('waiting after the first call', waiting, 20_000);
      expect(calls).toHaveLength(1);
      const first = calls[0]!.wake!;
      expect(first.workflowId).toBe(handle.workflowId);

      await handle.signal(recordsWaitingSignal, `${first.token}-not-this-call`);
      await sleep(1_000);
      expect(calls).toHaveLength(1);
      expect(await waiting()).toBe(true);

      await handle.signal(recordsWaitingSignal, first.token);
      await waitFor('a second call', () => calls.length >= 2, 20_000);
      // Woken, not timed out: the first call of the new tick waits MAX_BATCH_WAIT for a batch.
      expect(calls[1]!.request.maxWaitMs).toBe(100);
      expect(calls[1]!.wake!.token).not.toBe(first.token);
      await waitFor('waiting again', waiting, 20_000);
      expect((await handle.query(statusQuery)).wakes).toBe(1);

      // A late signal of the first call does not end the second wait.
      await handle.signal(recordsWaitingSignal, first.token);
      await sleep(1_000);
      expect(calls).toHaveLength(2);
    });
  });

  it("commits a partition's offset only after the runs holding every record below it have started", async () => {
    const feeds = [partitionFeed(0, 10), partitionFeed(1, 7)];
    const handedOut: Batch[] = [];
    const violations: string[] = [];
    const consume = async (input: ConsumeInput): Promise<ConsumeResult> => {
      for (const { partition, offset } of input.commit) {
        for (const b of handedOut.filter(
          (x) => x.partition === partition && compareOffsets(x.firstOffset, offset) < 0,
        )) {
          const described = await h.env.client.workflow
            .getHandle(runWorkflowId(b, GROUP))
            .describe()
            .catch(() => undefined);
          if (!described)
            violations.push(`committed ${partition}@${offset} before run ${runWorkflowId(b, GROUP)} existed`);
        }
      }
      const batches = [feeds[0]!(), feeds[1]!()];
      handedOut.push(...batches);
      return { ...empty(input), batches };
    };
    await withSensor(h, { consume }, settings(), async ({ calls }) => {
      await waitFor('twenty consume calls', () => calls.length >= 20, 30_000);
      const commits = calls.flatMap((c) => c.commit);
      expect(new Set(commits.map((c) => c.partition))).toEqual(new Set([0, 1]));
    });
    expect(violations).toEqual([]);
  });

  it('never has more than maxInFlightRuns unfinished runs; records wait until a run finishes', async () => {
    const feed = partitionFeed();
    let active = 0;
    let peak = 0;
    let release!: () => void;
    let gate = new Promise<void>((r) => (release = r));
    const script: Script = {
      consume: (input) => ({
        ...empty(input),
        batches: Array.from({ length: input.request.maxBatches }, feed),
      }),
      processBatch: async () => {
        active++;
        peak = Math.max(peak, active);
        await gate;
        active--;
      },
    };
    await withSensor(h, script, settings({ maxInFlightRuns: 3 }), async ({ handle, calls }) => {
      await waitFor('three runs holding', () => active === 3, 20_000);
      await sleep(1_500);
      expect(peak).toBe(3);
      const status = await handle.query(statusQuery);
      expect(status.inFlightRuns).toBe(3);
      expect(status.phase).toBe('at in-flight limit');
      const callsWhileFull = calls.length;
      await sleep(1_000);
      expect(calls.length).toBe(callsWhileFull); // nothing is taken while the limit is reached
      for (const c of calls) expect(c.request.maxBatches).toBeLessThanOrEqual(3);
      release();
      gate = new Promise<void>((r) => (release = r));
      await waitFor('more consume calls once runs finished', () => calls.length > callsWhileFull, 20_000);
      release();
      expect(peak).toBe(3);
    });
  });

  it('pause stops consuming and resume starts it again', async () => {
    const feed = partitionFeed();
    const consume = (input: ConsumeInput): ConsumeResult => ({ ...empty(input), batches: [feed()] });
    await withSensor(h, { consume }, settings({ timeBetweenTicksMs: 0 }), async ({ handle, calls }) => {
      await waitFor('consuming', () => calls.length >= 2, 10_000);
      await handle.signal(pauseSignal);
      await waitFor('paused', async () => (await handle.query(statusQuery)).phase === 'paused', 10_000);
      const whilePaused = calls.length;
      await sleep(1_500);
      expect(calls.length).toBe(whilePaused);
      expect((await handle.query(statusQuery)).paused).toBe(true);
      await handle.signal(resumeSignal);
      await waitFor('consuming again', () => calls.length > whilePaused + 2, 10_000);
      expect((await handle.query(statusQuery)).paused).toBe(false);
    });
  });
});

describe('the sensor workflow resetting its offsets', () => {
  const h = harnessPerDescribe();

  it('applies a reset once its in-flight runs finished, sends no commit of the old position after it, and names later runs after it', async () => {
    let releaseRun!: () => void;
    const runHeld = new Promise<void>((r) => (releaseRun = r));
    const log: string[] = [];
    let reRead = false;
    const consume = (input: ConsumeInput): ConsumeResult => {
      log.push(`consume ${JSON.stringify(input.commit)}`);
      // Until the reset, the group refuses the commits (a rebalance, say): the old position's
      // commit stays pending in the sensor, and must not be sent once the reset is applied.
      const refused = !log.includes('reset');
      if (log.length === 1) return { ...empty(input), batches: [batch(0, 0, 10)], settled: [] };
      if (refused) return { ...empty(input), settled: [] };
      // After the reset the consumer reads partition 0 again from 0, once.
      if (reRead) {
        reRead = false;
        log.push('re-read');
        return { ...empty(input), batches: [batch(0, 0, 10)] };
      }
      return empty(input);
    };
    const script: Script = {
      consume,
      commit: (offsets) => {
        log.push(`commit ${JSON.stringify(offsets)}`);
        return log.includes('reset') ? offsets : [];
      },
      processBatch: async (b) => {
        if (log.every((l) => l !== 'reset')) await runHeld;
        log.push(`run ${b.firstOffset}-${b.lastOffset}`);
      },
      resetOffsets: (targets) => {
        log.push('reset');
        reRead = true;
        return targets;
      },
    };
    await withSensor(h, script, settings({ timeBetweenTicksMs: 200 }), async ({ handle }) => {
      await waitFor('the first run started', async () => (await handle.query(statusQuery)).inFlightRuns === 1);
      await handle.signal(resetOffsetsSignal, { id: 'abc', targets: [{ partition: 0, offset: '0' }] });
      await waitFor(
        'the sensor to wait for its run',
        async () => (await handle.query(statusQuery)).phase === 'resetting',
      );
      await sleep(1_000);
      expect(log).not.toContain('reset');
      releaseRun();
      await waitFor('the reset applied', async () => (await handle.query(statusQuery)).lastReset?.id === 'abc');
      const status = await handle.query(statusQuery);
      expect(status.lastReset?.applied).toEqual([{ partition: 0, offset: '0' }]);
      // The re-read batch is run again under an ID naming the reset (the first run's ID is taken).
      const again = runWorkflowId(batch(0, 0, 10), GROUP, 'abc');
      await waitFor(
        'the re-read batch run',
        async () => (await h.env.client.workflow.getHandle(again).describe()).status.name === 'COMPLETED',
      );
      await waitFor('its commit', () => log.some((l, i) => i > log.indexOf('reset') && l.includes('"offset":"10"')));
    });
    // Before the reset the old position's commit (10) went out; between the reset and the re-read
    // run's start, nothing of partition 0 was committed (it would have undone the reset).
    const resetAt = log.indexOf('reset');
    expect(log.slice(0, resetAt).some((l) => l.includes('"offset":"10"'))).toBe(true);
    const between = log.slice(resetAt, log.indexOf('re-read')).filter((l) => /^(consume|commit) /.test(l));
    expect(between.length).toBeGreaterThan(0);
    expect(between.filter((l) => l.includes('"offset"'))).toEqual([]);
  });
});

describe('the sensor workflow across continue-as-new', () => {
  const h = {} as Harness;
  beforeAll(async () => {
    // Suggest continue-as-new after a few dozen events instead of thousands.
    h.env = await startEnv(['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=60']);
    h.bundle = await sharedBundle();
  });
  afterAll(async () => {
    await h.env?.teardown();
  });

  it('continues as new carrying its counters, and starts no batch twice', async () => {
    const feed = partitionFeed(0, 5);
    let handedOut = 0;
    const consume = (input: ConsumeInput): ConsumeResult => {
      handedOut++;
      return { ...empty(input), batches: [feed()] };
    };
    await withSensor(h, { consume }, settings({ timeBetweenTicksMs: 0 }), async ({ handle }) => {
      const firstRunId = (await handle.describe()).runId;
      await waitFor('two continue-as-new', async () => (await handle.query(statusQuery)).continuedAsNew >= 2, 60_000);
      const status = await handle.query(statusQuery);
      expect((await handle.describe()).runId).not.toBe(firstRunId);
      // Every batch handed out was counted once, across runs (the last may still be starting).
      expect(status.batches).toBeGreaterThanOrEqual(handedOut - 1);
      expect(status.batches).toBeLessThanOrEqual(handedOut);
      expect(status.messages).toBe(status.batches * 5);
      expect(status.batchesAlreadyStarted).toBe(0);
    });
  });
});
