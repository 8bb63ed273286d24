// `npm run fixtures:record`: records workflow histories from real runs of the sensor and of
// MicroBatchRun (a plain run, one that dead-letters a bad record, one that retries a failing record
// and dead-letters it on its last attempt, one held by a sink outage) and of a Replay, once per
// BATCH_PAYLOAD, into test/fixtures/histories/. The replay test
// (test/unit/replay.test.ts) replays them against the current workflow code, so a change that would
// break running workflows fails CI.
// Refresh them only for a deliberate, compatible change (see README: "Changing workflow code").
// Needs the servers running (npm run infra:up).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { sensorWorkflowId } from '../src/batch';
import { BATCH_PAYLOADS, type BatchPayload } from '../src/config';
import { SinkUnavailableError } from '../src/errors';
import { RateProducer } from '../src/producer/rate-producer';
import { startReplay } from '../src/replay/start';
import { runsQuery } from '../src/runs';
import { transform, type SourceRecord } from '../src/processing/transform';
import type { Sink } from '../src/sink';
import { ensureSensors } from '../src/workers/sensors';
import { describe } from '../src/workers/retry';
import { statusQuery, stopSignal } from '../src/workflows/sensor';
import {
  cleanUp,
  connectServers,
  logger,
  openSink,
  sinkRows,
  startPipeline,
  testConfig,
  testProducer,
  waitFor,
} from '../test/helpers';

const OUT = join(__dirname, '../test/fixtures/histories');
const FAILING_SEQ = 7;
/** The run holding this offset finds the sink down on its first two tries, and holds its records. */
const HELD_OFFSET = '45';
const RECORDS = 60;

/** The default transform, except that one record always fails with an ordinary error. */
function transformWithOneFailure(record: SourceRecord) {
  const out = transform(record);
  if ((out.payload as { seq?: number } | null)?.seq === FAILING_SEQ)
    throw new Error(`record ${FAILING_SEQ} always fails`);
  return out;
}

/** The test's SQLite sink, down for the first two writes of the batch with HELD_OFFSET. */
function sinkDownTwiceFor(sink: Sink): Sink {
  let refusals = 0;
  return {
    async write(rows) {
      if (rows.some((r) => r.offset === HELD_OFFSET) && refusals++ < 2) {
        throw new SinkUnavailableError('the database is restarting');
      }
      return sink.write(rows);
    },
    close: () => sink.close(),
  };
}

function temporalBin(): string {
  const paths = execFileSync('bash', [join(__dirname, 'infra.sh'), 'paths'], { encoding: 'utf8' });
  const bin = /^TEMPORAL_BIN=(.*)$/m.exec(paths)?.[1];
  if (!bin) throw new Error('scripts/infra.sh paths named no TEMPORAL_BIN');
  return bin;
}

/** Records the histories once per BATCH_PAYLOAD: the workflows take different paths with each. */
async function main(): Promise<void> {
  for (const payload of BATCH_PAYLOADS) await record(payload);
}

async function record(payload: BatchPayload): Promise<void> {
  const config = testConfig({
    BATCH_PAYLOAD: payload,
    SENSOR_REPLICAS: '1',
    KAFKA_TOPIC_PARTITIONS: '1',
    MAX_BATCH_SIZE: '20',
    RUN_MAX_ATTEMPTS: '2',
    // Long enough that only a wake signal (src/sensor-wake.ts) ends the sensor's wait below.
    TIME_BETWEEN_SENSOR_TICKS: '1h',
  });
  const servers = await connectServers(config);
  const sink = openSink(config);
  try {
    await servers.admin.ensureTopic(config.topic, 1);
    await servers.admin.ensureTopic(config.dlqTopic, 1);
    const running = await startPipeline(config, servers, {
      sink: sinkDownTwiceFor(sink),
      transform: transformWithOneFailure,
    });
    try {
      await new RateProducer(servers.kafka, {
        topic: config.topic,
        ratePerSecond: 100_000,
        count: RECORDS,
        messageBytes: 100,
      }).run();
      const producer = testProducer(servers.kafka);
      await producer.send(config.topic, [
        { key: null, value: 'not json' },
        { key: null, value: '{"seq":1000}' },
      ]);
      await ensureSensors(servers.client, config, logger);
      // 62 records: seq 7 fails every time and 'not json' is bad data; both are dead-lettered.
      await waitFor(`${RECORDS} rows`, () => sinkRows(config).length === RECORDS, 120_000);

      // Caught up, the sensor waits between ticks; one more record wakes it.
      const sensor = servers.client.workflow.getHandle(sensorWorkflowId(config.topic, config.groupId, 0));
      const phase = async () => (await sensor.query(statusQuery)).phase;
      await waitFor(
        'the sensor waiting between ticks',
        async () => (await phase()) === 'waiting between ticks',
        60_000,
      );
      await producer.send(config.topic, [{ key: null, value: '{"seq":1001}' }]);
      await producer.close();
      await waitFor(`${RECORDS + 1} rows`, () => sinkRows(config).length === RECORDS + 1, 60_000);
      if ((await sensor.query(statusQuery)).wakes !== 1) throw new Error('the sensor was not woken by the last record');
      await sensor.signal(stopSignal);
      await sensor.result();
      const runs: Record<string, string> = {};
      for await (const run of servers.client.workflow.list({ query: runsQuery(config) })) {
        const first = Number(run.searchAttributes?.FirstOffset?.[0]);
        const last = Number(run.searchAttributes?.LastOffset?.[0]);
        const covers = (offset: number) => first <= offset && offset <= last;
        if (covers(FAILING_SEQ)) runs[`${payload}-micro-batch-run-retried`] = run.workflowId;
        else if (covers(RECORDS)) runs[`${payload}-micro-batch-run-dead-letter`] = run.workflowId;
        else if (covers(Number(HELD_OFFSET))) runs[`${payload}-micro-batch-run-held`] = run.workflowId;
        else runs[`${payload}-micro-batch-run-plain`] = run.workflowId;
      }
      // A replay of the first 40 offsets (two runs, one of which dead-letters seq 7 on its last attempt).
      const replay = await startReplay(servers.client, config, `fixture-${payload}`, [
        { partition: 0, first: '0', last: '39' },
      ]);
      await replay.result();
      const histories: Record<string, string> = {
        [`${payload}-sensor`]: sensor.workflowId,
        ...runs,
        [`${payload}-replay`]: replay.workflowId,
      };
      for (const [name, workflowId] of Object.entries(histories)) {
        await servers.client.workflow.getHandle(workflowId).result();
        // The CLI's JSON is the format Worker.runReplayHistory reads (and the Web UI downloads).
        const json = execFileSync(
          temporalBin(),
          ['workflow', 'show', '--workflow-id', workflowId, '--address', config.temporalAddress, '--output', 'json'],
          { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
        );
        writeFileSync(join(OUT, `${name}.json`), json);
        console.log(
          `recorded ${name} (${(JSON.parse(json) as { events: unknown[] }).events.length} events) from ${workflowId}`,
        );
      }
    } finally {
      await running.stop();
    }
  } finally {
    await sink.close();
    await cleanUp(config, servers.admin);
    await servers.close();
  }
}

main().catch((err) => {
  console.error(`recording failed: ${describe(err)}`);
  process.exit(1);
});
