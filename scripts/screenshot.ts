// The picture behind `npm run screenshot` (scripts/screenshot.sh finds Chromium and starts the
// servers first): runs a short pipeline of its own (its own topic, group, task queues and sink,
// three sensors, a producer at a few hundred msg/s), waits until the Web UI has runs to show,
// points headless Chromium at the workflow list filtered to that pipeline, writes the PNG
// (docs/images/web-ui.png by default), then stops the pipeline and deletes its topic. It reuses the
// benchmark's pieces (scripts/bench/): a scenario's isolated settings, a worker process, sensors.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { createKafkaClient } from '../src/kafka/client';
import { createLogger } from '../src/logger';
import { RateProducer } from '../src/producer/rate-producer';
import { pipelineFilter, runsQuery, type PipelineId } from '../src/runs';
import { connectAdmin, installTemporalLogger } from '../src/workers/connect';
import { startSession, type PipelineSession } from './bench/pipeline-session';
import { makeScenario, removeSink } from './bench/scenario';
import { deleteTopics } from './bench/topics';

const USAGE = `usage: npm run screenshot -- [--out FILE] [--ui URL] [--runs N] [--rate MSG_PER_S]
  --out   the PNG to write (docs/images/web-ui.png)
  --ui    the Temporal Web UI (TEMPORAL_UI_URL or http://localhost:8233)
  --runs  completed runs to wait for before the picture (12)
  --rate  the producer's messages per second (300)`;

const logger = createLogger('info', 'screenshot');

function options() {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'docs/images/web-ui.png' },
      ui: { type: 'string', default: process.env.TEMPORAL_UI_URL ?? 'http://localhost:8233' },
      runs: { type: 'string', default: '12' },
      rate: { type: 'string', default: '300' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positive = (flag: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} ${text} is not valid: expected an integer >= 1`);
    return n;
  };
  return {
    out: resolve(values.out),
    ui: values.ui.replace(/\/+$/, ''),
    runs: positive('runs', values.runs),
    rate: positive('rate', values.rate),
  };
}

async function main(): Promise<void> {
  let o: ReturnType<typeof options>;
  try {
    o = options();
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exit(2);
  }
  // scripts/screenshot.sh has checked it; run directly, this is the one place that can say so.
  const chromium = process.env.CHROMIUM_BIN;
  if (!chromium) throw new Error('CHROMIUM_BIN is not set: run `npm run screenshot`, which finds Chromium');
  installTemporalLogger('warn');

  const id = Date.now().toString(36);
  const runDir = resolve('.data/screenshot');
  mkdirSync(runDir, { recursive: true });
  // Names a reader of the picture can follow; the topic is new each time, so the UI filter (topic and
  // group) shows this pipeline only, and the group never meets another pipeline's consumers.
  const s = makeScenario('web-ui', runDir, {
    KAFKA_TOPIC: `page-views-${id}`,
    KAFKA_GROUP_ID: 'web-ui-demo',
    KAFKA_TOPIC_PARTITIONS: '3',
    SENSOR_REPLICAS: '3',
    CODEC_SERVER_PORT: '0',
  });
  const kafka = await createKafkaClient(s.config, logger);
  const admin = await connectAdmin(kafka, s.config, logger);
  await admin.ensureTopic(s.config.topic, s.config.topicPartitions);
  const logFile = join(runDir, `${s.config.topic}.worker.log`);
  let producer: RateProducer | undefined;
  let producing: Promise<unknown> = Promise.resolve();
  let session: PipelineSession | undefined;
  try {
    session = await startSession(s, logger, { logFile });
    await session.startSensors();
    producer = new RateProducer(kafka, {
      topic: s.config.topic,
      ratePerSecond: o.rate,
      count: o.rate * 3600,
      messageBytes: 200,
    });
    producing = producer.run();
    logger.info(`pipeline ${s.config.topic} @ ${s.config.groupId} running; waiting for ${o.runs} completed runs`);
    await waitForRuns(session.client, s.config, o.runs);
    const url = `${o.ui}/namespaces/${s.config.temporalNamespace}/workflows?query=${encodeURIComponent(pipelineFilter(s.config))}`;
    await takeScreenshot(chromium, url, o.out);
    logger.info(`wrote ${o.out} (${url})`);
  } finally {
    producer?.stop();
    await producing.catch(() => undefined);
    await session?.stop();
    await deleteTopics(admin, [s.config.topic, s.config.dlqTopic]);
    await removeSink(s);
    await admin.close();
    logger.info(`stopped the pipeline and deleted its topic; the worker's log is ${logFile}`);
  }
}

/** Until visibility lists `runs` completed runs (and so the sensors have ticked a few times). */
async function waitForRuns(client: Client, pipeline: PipelineId, runs: number): Promise<void> {
  const deadline = Date.now() + 180_000;
  let done = 0;
  while ((done = (await client.workflow.count(runsQuery(pipeline, 'Completed'))).count) < runs) {
    if (Date.now() > deadline)
      throw new Error(`only ${done} of ${runs} runs completed within 180 s; see the worker log`);
    await sleep(1_000);
  }
}

/**
 * Headless Chromium loads the page and saves it once the page's own requests have settled (virtual
 * time: the UI's data calls finish before the picture, however slow the machine). As root it needs
 * --no-sandbox; a throw-away profile keeps it from meeting another Chromium's lock.
 */
async function takeScreenshot(chromium: string, url: string, out: string): Promise<void> {
  mkdirSync(dirname(out), { recursive: true });
  rmSync(out, { force: true });
  const profile = mkdtempSync(join(tmpdir(), 'screenshot-chromium-'));
  try {
    await promisify(execFile)(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        '--window-size=1440,900',
        '--virtual-time-budget=15000',
        `--screenshot=${out}`,
        url,
      ],
      { timeout: 120_000 },
    ).catch((err: { stderr?: string; message: string }) => {
      throw new Error(`chromium failed: ${err.message}\n${(err.stderr ?? '').slice(-2000)}`);
    });
    if ((statSync(out, { throwIfNoEntry: false })?.size ?? 0) === 0)
      throw new Error(`chromium exited without writing ${out}`);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`screenshot failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
