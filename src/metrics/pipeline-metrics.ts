// The pipeline's own metrics, in Prometheus form (prom-client), one registry per pipeline (a topic
// and a consumer group): `npm run worker` serves it on METRICS_PORT (./metrics-server.ts), and tests
// that run several pipelines in one process keep them apart. Every series carries the pipeline's
// `topic` and `group` as labels; names follow Prometheus conventions (base units, `_total`,
// `_seconds`, `_bytes`).
//
// Who records what (never workflow code, which is replayed):
// - consume-batch (src/activities/sensor-activities.ts): records consumed, batch sizes;
// - process-batch (src/activities/run-activities.ts): records loaded / already loaded /
//   dead-lettered, failures by cause and batches held, durations, end-to-end latency, sink writes;
// - src/kafka/batch-records.ts: where a run's records came from (this worker's memory or Kafka);
// - run starts and ends: worker-side sinks fed by a workflow interceptor (./run-sinks.ts);
// - lag and sensor state: read when Prometheus scrapes (./pipeline-gauges.ts);
// - connection errors: src/workers/connect.ts and the kafkajs log (src/kafka/client.ts).
//
// deploy/grafana and deploy/prometheus use these names; test/unit/dashboard.test.ts checks that
// they only use names this file declares.

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds: a batch loads in milliseconds, a held run may wait for hours. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600];
/** Seconds from produce to load: TIME_BETWEEN_SENSOR_TICKS (5 s) bounds a steady stream's latency. */
const LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 30, 60, 120, 300, 900, 3600];
/** MAX_BATCH_SIZE is at most 100,000. */
const RECORD_COUNT_BUCKETS = [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000];
/** MAX_BATCH_BYTES is at most 64 MiB (4 MiB by default). */
const BYTE_BUCKETS = [1024, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864];

export type ConnectionSystem = 'kafka' | 'temporal';

export interface PipelineMetricsOptions {
  topic: string;
  groupId: string;
  /** Add the Node process's own metrics (CPU, memory, event loop lag): once per process. */
  processMetrics?: boolean;
}

/** Work done when Prometheus scrapes (reading lag from Kafka, querying sensors): see ./pipeline-gauges.ts. */
export type ScrapeReader = () => Promise<void>;

export class PipelineMetrics {
  readonly registry = new Registry();
  /** Per gauge group, what refreshes it at scrape time; absent where this process has nothing to say. */
  private readonly readers: { lag?: ScrapeReader; sensors?: ScrapeReader } = {};

  readonly consumerLag: Gauge<'partition'>;
  readonly recordsConsumed: Counter<'partition'>;
  readonly recordsLoaded: Counter<'partition'>;
  readonly recordsAlreadyLoaded: Counter<'partition'>;
  readonly recordsDeadLettered: Counter<'partition'>;
  readonly runsStarted: Counter;
  readonly runsCompleted: Counter;
  readonly runsFailed: Counter<'type'>;
  readonly runDuration: Histogram<'outcome'>;
  readonly processBatchDuration: Histogram<'outcome'>;
  readonly processBatchFailures: Counter<'cause'>;
  readonly batchesHeld: Counter<'cause'>;
  readonly batchSizeRecords: Histogram;
  readonly batchSizeBytes: Histogram;
  readonly endToEndLatency: Histogram;
  readonly sinkWriteDuration: Histogram<'outcome'>;
  readonly batchRecordsServed: Counter<'source'>;
  readonly sensorInFlightRuns: Gauge<'replica'>;
  readonly sensorPaused: Gauge<'replica'>;
  readonly sensorHalted: Gauge<'replica'>;
  readonly connectionErrors: Counter<'system'>;

  constructor(options: PipelineMetricsOptions) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ topic: options.topic, group: options.groupId });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });

    this.consumerLag = new Gauge({
      name: 'microbatch_consumer_lag_records',
      help: "Records not yet in a started run, per partition: the log-end offset minus the group's committed offset (from the log start when nothing is committed). Read from Kafka at scrape time by processes with the sensor role.",
      labelNames: ['partition'],
      registers,
      collect: () => this.readers.lag?.(),
    });
    this.recordsConsumed = new Counter({
      name: 'microbatch_records_consumed_total',
      help: 'Records the sensor consumers of this process handed to their sensors in batches (a record read again after a rebalance counts again).',
      labelNames: ['partition'],
      registers,
    });
    this.recordsLoaded = new Counter({
      name: 'microbatch_records_loaded_total',
      help: 'Rows this process wrote to the sink (what the sink reports as inserted: after a drain, the rows in the sink).',
      labelNames: ['partition'],
      registers,
    });
    this.recordsAlreadyLoaded = new Counter({
      name: 'microbatch_records_already_loaded_total',
      help: 'Rows the sink already had when a batch was written again (re-runs absorbed by its key).',
      labelNames: ['partition'],
      registers,
    });
    this.recordsDeadLettered = new Counter({
      name: 'microbatch_records_dead_lettered_total',
      help: 'Records sent to the dead-letter topic as bad data.',
      labelNames: ['partition'],
      registers,
    });
    this.runsStarted = new Counter({
      name: 'microbatch_runs_started_total',
      help: 'MicroBatchRun workflows this process began executing (a continue-as-new is not a new run).',
      registers,
    });
    this.runsCompleted = new Counter({
      name: 'microbatch_runs_completed_total',
      help: 'MicroBatchRun workflows this process completed.',
      registers,
    });
    this.runsFailed = new Counter({
      name: 'microbatch_runs_failed_total',
      help: 'MicroBatchRun workflows that failed on this process, by failure type (RecordsUnavailableError: Kafka no longer has some of its records). Terminated or timed-out runs are not seen by a worker.',
      labelNames: ['type'],
      registers,
    });
    this.runDuration = new Histogram({
      name: 'microbatch_run_duration_seconds',
      help: 'From the start of a MicroBatchRun (the first of its continue-as-new chain) to its end, by outcome.',
      labelNames: ['outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.processBatchDuration = new Histogram({
      name: 'microbatch_process_batch_duration_seconds',
      help: 'One attempt of the process-batch activity, by outcome (ok or failed).',
      labelNames: ['outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.processBatchFailures = new Counter({
      name: 'microbatch_process_batch_failures_total',
      help: 'Failed attempts of process-batch, by cause (the error name: SystemicFailureError, SinkUnavailableError, SourceUnavailableError, RecordsUnavailableError, Error for a retry before records are dead-lettered or anything unexplained).',
      labelNames: ['cause'],
      registers,
    });
    this.batchesHeld = new Counter({
      name: 'microbatch_batches_held_total',
      help: 'Failures of process-batch after which the run holds its records and waits for the cause to go (a systemic failure at once, an outage after the last attempt), by cause: one per round of holding.',
      labelNames: ['cause'],
      registers,
    });
    this.batchSizeRecords = new Histogram({
      name: 'microbatch_batch_size_records',
      help: 'Records per batch the sensor consumers of this process cut.',
      buckets: RECORD_COUNT_BUCKETS,
      registers,
    });
    this.batchSizeBytes = new Histogram({
      name: 'microbatch_batch_size_bytes',
      help: 'Bytes per batch (keys, values, headers and envelope, as counted against MAX_BATCH_BYTES).',
      buckets: BYTE_BUCKETS,
      registers,
    });
    this.endToEndLatency = new Histogram({
      name: 'microbatch_end_to_end_latency_seconds',
      help: "From a record's Kafka timestamp to its row's write in the sink, for rows a write inserted.",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.sinkWriteDuration = new Histogram({
      name: 'microbatch_sink_write_duration_seconds',
      help: 'One write of a batch to the sink, by outcome (ok or failed).',
      labelNames: ['outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.batchRecordsServed = new Counter({
      name: 'microbatch_batch_records_served_total',
      help: "Batches whose records process-batch took from the run's input (BATCH_PAYLOAD=records), this worker's memory (the batch was consumed here) or read back from Kafka, by source.",
      labelNames: ['source'],
      registers,
    });
    this.sensorInFlightRuns = new Gauge({
      name: 'microbatch_sensor_in_flight_runs',
      help: 'Started-but-unfinished runs of a sensor, from its status query; reported by the process holding its consumer.',
      labelNames: ['replica'],
      registers,
      collect: () => this.readers.sensors?.(),
    });
    this.sensorPaused = new Gauge({
      name: 'microbatch_sensor_paused',
      help: '1 while a sensor is paused (signal pause), else 0; reported by the process holding its consumer.',
      labelNames: ['replica'],
      registers,
      collect: () => this.readers.sensors?.(),
    });
    this.sensorHalted = new Gauge({
      name: 'microbatch_sensor_halted',
      help: '1 while a sensor is halted (its topic was recreated: see README), else 0.',
      labelNames: ['replica'],
      registers,
      collect: () => this.readers.sensors?.(),
    });
    this.connectionErrors = new Counter({
      name: 'microbatch_connection_errors_total',
      help: 'Failed attempts to reach Kafka or Temporal (connections at startup, broker connections, status queries), by system.',
      labelNames: ['system'],
      registers,
    });
  }

  /** Refreshes the lag gauge, or the sensor gauges, whenever the registry is collected. */
  readAtScrape(group: 'lag' | 'sensors', reader: ScrapeReader): void {
    this.readers[group] = reader;
  }

  /** For code that only reports connection failures (src/workers/connect.ts, src/kafka/client.ts). */
  readonly connectionFailed = (system: ConnectionSystem): void => this.connectionErrors.inc({ system });
}
