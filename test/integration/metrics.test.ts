// The metrics a worker serves, read over HTTP as Prometheus reads them, against what really
// happened: after a drain, records loaded equal the sink's rows (per partition), dead letters the
// bad records sent, runs started the runs completed, and the lag gauge falls to 0; the sensor
// gauges follow a pause; and the Temporal SDK's own endpoint serves the names the dashboard uses.

import { beforeAll, describe, expect, it } from 'vitest';
import { sensorWorkflowId } from '../../src/batch';
import { serveMetrics } from '../../src/metrics/metrics-server';
import { countUnfinishedRuns, runsQuery } from '../../src/runs';
import { ensureSensors } from '../../src/workers/sensors';
import { pauseSignal } from '../../src/workflows/sensor';
import { installTemporalLoggerOnce, logger, sinkRows, testConfig, testProducer, waitFor } from '../helpers';
import { freePort } from '../../scripts/prometheus-text';
import { has, scrape, total, type Sample } from '../metrics-scrape';
import { cleanupAfterEach, produce, setUpPipeline } from '../pipeline-harness';
import { TEMPORAL_SDK_METRICS } from '../temporal-sdk-metrics';

const defer = cleanupAfterEach();

let temporalMetricsUrl: string;
beforeAll(async () => {
  // The SDK's runtime is installed once per process (this file), before anything connects.
  const port = await freePort();
  installTemporalLoggerOnce({ host: '127.0.0.1', port, setting: 'TEMPORAL_METRICS_PORT' });
  temporalMetricsUrl = `http://127.0.0.1:${port}/metrics`;
});

const GOOD = 6_000;
const BAD = ['not json', '{"unclosed": ', ''];

describe('the metrics endpoint of a running pipeline', () => {
  it('agrees with the sink after a drain: loaded = rows, dead-lettered = bad records, runs started = completed, lag 0', async () => {
    const config = testConfig({ KAFKA_TOPIC_PARTITIONS: '3', SENSOR_REPLICAS: '2', MAX_BATCH_SIZE: '500' });
    const { servers, pipeline } = await setUpPipeline(config, defer);
    // Port 0: tests in one process (and other people's workers) never collide.
    const endpoint = await serveMetrics(pipeline.metrics.registry, {
      host: '127.0.0.1',
      port: 0,
      setting: 'METRICS_PORT',
    });
    defer(() => endpoint.close());
    await ensureSensors(servers.client, config, logger);

    const produced = produce(servers, config.topic, GOOD, 10_000);
    const producer = testProducer(servers.kafka);
    await producer.send(
      config.topic,
      BAD.map((value) => ({ key: null, value, partition: 0 })),
    );
    await producer.close();
    expect((await produced).sent).toBe(GOOD);

    await waitFor(`${GOOD} rows in the sink`, () => sinkRows(config).length === GOOD, 150_000);
    await waitFor('every run finished', async () => (await countUnfinishedRuns(servers.client, config)) === 0, 60_000);
    const completedRuns = (await servers.client.workflow.count(runsQuery(config, 'Completed'))).count;
    // The lag gauge is read from Kafka at scrape time (at most every 5 s).
    const samples = await waitFor(
      'lag 0 and every run counted on /metrics',
      async () => {
        const s = await scrape(endpoint.url);
        const lagSeries = s.filter((x) => x.name === 'microbatch_consumer_lag_records');
        if (lagSeries.length !== 3 || total(s, 'microbatch_consumer_lag_records') !== 0) return undefined;
        if (total(s, 'microbatch_runs_completed_total') < completedRuns) return undefined;
        return s;
      },
      60_000,
    );

    const rows = sinkRows(config);
    expect(total(samples, 'microbatch_records_loaded_total')).toBe(rows.length);
    for (const partition of [0, 1, 2]) {
      expect(total(samples, 'microbatch_records_loaded_total', { partition: String(partition) })).toBe(
        rows.filter((r) => r.partition === partition).length,
      );
    }
    expect(total(samples, 'microbatch_records_dead_lettered_total')).toBe(BAD.length);
    expect(total(samples, 'microbatch_records_dead_lettered_total', { partition: '0' })).toBe(BAD.length);
    const consumed = total(samples, 'microbatch_records_consumed_total');
    expect(consumed).toBeGreaterThanOrEqual(GOOD + BAD.length);
    expect(total(samples, 'microbatch_batch_size_records_sum')).toBe(consumed);
    // Every loaded row's latency is timed once.
    expect(total(samples, 'microbatch_end_to_end_latency_seconds_count')).toBe(rows.length);

    const runsCompleted = total(samples, 'microbatch_runs_completed_total');
    expect(runsCompleted).toBe(completedRuns);
    expect(total(samples, 'microbatch_runs_started_total')).toBe(runsCompleted);
    expect(total(samples, 'microbatch_runs_failed_total')).toBe(0);
    expect(total(samples, 'microbatch_run_duration_seconds_count')).toBe(runsCompleted);
    expect(total(samples, 'microbatch_process_batch_duration_seconds_count', { outcome: 'ok' })).toBe(runsCompleted);
    // One process consumed and ran everything: every batch came from its memory.
    expect(total(samples, 'microbatch_batch_records_served_total', { source: 'memory' })).toBe(runsCompleted);
    expect(total(samples, 'microbatch_sink_write_duration_seconds_count', { outcome: 'ok' })).toBe(runsCompleted);
    expect(total(samples, 'microbatch_batches_held_total')).toBe(0);
    expect(total(samples, 'microbatch_connection_errors_total')).toBe(0);

    // Both sensors report, idle and running.
    for (const replica of ['0', '1']) {
      expect(total(samples, 'microbatch_sensor_in_flight_runs', { replica })).toBe(0);
      expect(sample(samples, 'microbatch_sensor_paused', { replica })?.value).toBe(0);
    }
    // Every series names the pipeline.
    for (const s of samples.filter((x) => x.name.startsWith('microbatch_'))) {
      expect(s.labels).toMatchObject({ topic: config.topic, group: config.groupId });
    }

    await servers.client.workflow.getHandle(sensorWorkflowId(config.topic, config.groupId, 0)).signal(pauseSignal);
    await waitFor(
      'the paused gauge of replica 0',
      async () => sample(await scrape(endpoint.url), 'microbatch_sensor_paused', { replica: '0' })?.value === 1,
      30_000,
    );

    const sdk = await scrape(temporalMetricsUrl);
    for (const name of TEMPORAL_SDK_METRICS) expect(has(sdk, name), name).toBe(true);
    expect(total(sdk, 'temporal_workflow_completed_total', { workflow_type: 'MicroBatchRun' })).toBe(completedRuns);
  });
});

function sample(samples: Sample[], name: string, where: Record<string, string>): Sample | undefined {
  return samples.find((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v));
}
