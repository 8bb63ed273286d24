// Every setting of the application, in one schema: name, default, meaning and parser. Entry points
// call loadConfig() once at startup; nothing else reads process.env. A bad value stops the program
// with exit code 2 and a message naming the variable, the value and what was expected.
//
// Neighbours: src/config-schema.ts holds the parsers; README.md's settings table and .env.example
// are rendered from SETTINGS (scripts/docs/settings-docs.ts, `npm run docs:settings`).

import { existsSync } from 'node:fs';
import { ConfigError } from './config-error';
import {
  boolean,
  durationMs,
  durationMsOrZero,
  integer,
  list,
  oneOf,
  optionalPath,
  secret,
  text,
} from './config-schema';
import { PostgresSettingError, redactUrl, resolvePostgres, type PostgresTarget } from './sink/postgres-connection';
import { WRITE_MODES } from './sink/sink';
import { resolveKafkaSecurity, saslMechanism, securityProtocol, type KafkaSecurity } from './kafka/security';
import { resolveTemporalConnection, type TemporalConnection } from './temporal/connection-settings';

export { ConfigError, RefusedSettingError } from './config-error';

export const BATCH_PAYLOADS = ['offsets', 'records'] as const;
export type BatchPayload = (typeof BATCH_PAYLOADS)[number];

/** The Kafka client libraries behind the port (src/kafka/client.ts picks one). */
export const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;
export type KafkaClientName = (typeof KAFKA_CLIENTS)[number];

/** Records a batch carries inline must fit a Temporal payload (2 MiB hard limit, before the codec). */
export const MAX_BATCH_BYTES_INLINE = 1_572_864;
/** Batches that travel as offsets only have to fit in the worker's memory. */
const MAX_BATCH_BYTES_IN_MEMORY = 64 * 1_048_576;
/**
 * Measured by `npm run bench` (docs/BENCHMARKS.md): with offsets, larger batches mean fewer
 * workflows per message; with records, 384 KiB stays below Temporal's 512 KiB payload warning.
 */
const MAX_BATCH_BYTES_DEFAULT = { offsets: 4_194_304, records: 393_216 } as const;

const MiB = 1_048_576;
/**
 * Measured by `npm run bench` (docs/BENCHMARKS.md, "Memory"): the drain kept its speed with it,
 * 192 MiB was no faster and 64 MiB slower (the buffers no longer held a full batch per consumer).
 */
const WORKER_MEMORY_BUDGET_DEFAULT = 128 * MiB;

/**
 * Declares one setting; `default` is the raw text, parsed like a value given in the environment.
 * A `secret` setting (a password, an API key) is never shown: not in errors, not in the startup
 * summary; its parser returns a Secret, which prints as [redacted]. `shown` turns a bad value of a
 * setting that holds a secret inside it (a URL with a password) into the text an error may quote.
 */
function setting<T>(
  name: string,
  defaultRaw: string,
  description: string,
  parse: (raw: string) => T,
  options: { secret?: boolean; shown?: (raw: string) => string } = {},
) {
  const shown = options.secret ? () => '[redacted]' : (options.shown ?? ((raw: string) => raw));
  return { name, default: defaultRaw, description, parse, secret: options.secret ?? false, shown };
}

/** A table name the postgres sink can quote: `table` or `schema.table`, lower-case letters, digits, _. */
function tableName(raw: string): string {
  const value = raw.trim();
  if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(value)) {
    throw new Error(
      'a table name, optionally schema-qualified (lower-case letters, digits and _), e.g. events or sink.events',
    );
  }
  return value;
}

/** The settings, in the order README.md lists them. */
export const SETTINGS = {
  kafkaBrokers: setting('KAFKA_BROKERS', '127.0.0.1:9092', 'Kafka bootstrap servers, comma-separated', list),
  kafkaClientId: setting('KAFKA_CLIENT_ID', 'microbatch', 'Kafka client id (shows in broker logs)', text),
  kafkaClient: setting(
    'KAFKA_CLIENT',
    'kafkajs',
    'Kafka client library every consumer, producer and admin uses: `kafkajs` or `platformatic` (@platformatic/kafka, maintained); both behave the same for the pipeline',
    oneOf(KAFKA_CLIENTS),
  ),
  topic: setting('KAFKA_TOPIC', 'events', 'topic the producer writes and the sensors read', text),
  topicPartitions: setting(
    'KAFKA_TOPIC_PARTITIONS',
    '6',
    'partitions when the producer creates the topic',
    integer(1, 10_000),
  ),
  groupId: setting('KAFKA_GROUP_ID', 'microbatch-sensor', 'consumer group shared by all sensor replicas', text),
  fromBeginning: setting(
    'KAFKA_FROM_BEGINNING',
    'true',
    'a group with no committed offset starts at the oldest message (else the newest)',
    boolean,
  ),
  dlqTopic: setting('KAFKA_DLQ_TOPIC', '', 'dead-letter topic; empty means `<KAFKA_TOPIC>.dlq`', (raw) => raw.trim()),
  kafkaSecurityProtocol: setting(
    'KAFKA_SECURITY_PROTOCOL',
    'PLAINTEXT',
    'how to reach the brokers (security.protocol): PLAINTEXT, SSL (TLS), SASL_PLAINTEXT or SASL_SSL (user and password over TLS)',
    securityProtocol,
  ),
  kafkaSaslMechanism: setting(
    'KAFKA_SASL_MECHANISM',
    '',
    'sasl.mechanism with SASL_SSL or SASL_PLAINTEXT: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512',
    saslMechanism,
  ),
  kafkaSaslUsername: setting('KAFKA_SASL_USERNAME', '', 'sasl.username (with Confluent Cloud: the API key)', (raw) =>
    raw.trim(),
  ),
  kafkaSaslPassword: setting(
    'KAFKA_SASL_PASSWORD',
    '',
    'sasl.password (secret: never logged); or put it in a file named by KAFKA_SASL_PASSWORD_FILE',
    secret,
    { secret: true },
  ),
  kafkaSaslPasswordFile: setting(
    'KAFKA_SASL_PASSWORD_FILE',
    '',
    'file holding the SASL password (a mounted secret), instead of KAFKA_SASL_PASSWORD',
    optionalPath,
  ),
  kafkaSslCaLocation: setting(
    'KAFKA_SSL_CA_LOCATION',
    '',
    "ssl.ca.location: PEM file of the CA certificates that signed the brokers' certificates; empty means the system CAs",
    optionalPath,
  ),
  kafkaSslCertificateLocation: setting(
    'KAFKA_SSL_CERTIFICATE_LOCATION',
    '',
    'ssl.certificate.location: PEM client certificate, for brokers that require one (mTLS); needs KAFKA_SSL_KEY_LOCATION',
    optionalPath,
  ),
  kafkaSslKeyLocation: setting(
    'KAFKA_SSL_KEY_LOCATION',
    '',
    'ssl.key.location: PEM private key of the client certificate',
    optionalPath,
  ),
  kafkaSslKeyPassword: setting(
    'KAFKA_SSL_KEY_PASSWORD',
    '',
    'ssl.key.password: password of an encrypted private key (secret: never logged); or KAFKA_SSL_KEY_PASSWORD_FILE',
    secret,
    { secret: true },
  ),
  kafkaSslKeyPasswordFile: setting(
    'KAFKA_SSL_KEY_PASSWORD_FILE',
    '',
    'file holding the private key password, instead of KAFKA_SSL_KEY_PASSWORD',
    optionalPath,
  ),
  kafkaSslEndpointIdentificationAlgorithm: setting(
    'KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM',
    'https',
    "ssl.endpoint.identification.algorithm: https checks the broker's host name against its certificate; none checks only that a trusted CA signed it",
    oneOf(['https', 'none'] as const),
  ),
  kafkaSslServerName: setting(
    'KAFKA_SSL_SERVER_NAME',
    '',
    "name sent in TLS SNI and checked against the brokers' certificates instead of the host names in KAFKA_BROKERS (brokers reached through a tunnel or by IP); empty means the host name",
    (raw) => raw.trim(),
  ),
  temporalAddress: setting(
    'TEMPORAL_ADDRESS',
    '',
    "Temporal frontend host:port; empty means the profile's (TEMPORAL_PROFILE), else 127.0.0.1:7233",
    (raw) => raw.trim(),
  ),
  temporalNamespace: setting(
    'TEMPORAL_NAMESPACE',
    '',
    "Temporal namespace; empty means the profile's, else default",
    (raw) => raw.trim(),
  ),
  temporalApiKey: setting(
    'TEMPORAL_API_KEY',
    '',
    'API key sent as `authorization: Bearer <key>` (Temporal Cloud); turns TLS on (secret: never logged)',
    secret,
    { secret: true },
  ),
  temporalApiKeyFile: setting(
    'TEMPORAL_API_KEY_FILE',
    '',
    'file holding the API key (a mounted secret), instead of TEMPORAL_API_KEY',
    optionalPath,
  ),
  temporalTls: setting(
    'TEMPORAL_TLS',
    '',
    'true or false; empty means on when an API key or a TLS file is set',
    (raw) => (raw.trim() === '' ? undefined : boolean(raw)),
  ),
  temporalTlsClientCertPath: setting(
    'TEMPORAL_TLS_CLIENT_CERT_PATH',
    '',
    'PEM client certificate for mTLS (Temporal Cloud with certificates); needs TEMPORAL_TLS_CLIENT_KEY_PATH',
    optionalPath,
  ),
  temporalTlsClientKeyPath: setting(
    'TEMPORAL_TLS_CLIENT_KEY_PATH',
    '',
    'PEM private key of the client certificate',
    optionalPath,
  ),
  temporalTlsServerCaCertPath: setting(
    'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
    '',
    "PEM CA certificate that signed the server's; empty means the system CAs",
    optionalPath,
  ),
  temporalTlsServerName: setting(
    'TEMPORAL_TLS_SERVER_NAME',
    '',
    "name expected in the server's certificate (and sent in SNI) when it differs from the address's host",
    (raw) => raw.trim(),
  ),
  temporalProfile: setting(
    'TEMPORAL_PROFILE',
    '',
    'profile of the TOML config file to use; empty means default',
    (raw) => raw.trim(),
  ),
  temporalConfigFile: setting(
    'TEMPORAL_CONFIG_FILE',
    '',
    'TOML config file (Temporal CLI format, profiles); empty means ~/.config/temporalio/temporal.toml if it exists. Environment variables win over it',
    optionalPath,
  ),
  batchPayload: setting(
    'BATCH_PAYLOAD',
    'offsets',
    'what a MicroBatchRun carries: `offsets` (its offset range; process-batch takes the records from the memory of the worker that consumed them, or reads them back from Kafka) or `records` (the records themselves, stored in Temporal history). See "Choices we made"',
    oneOf(BATCH_PAYLOADS),
  ),
  payloadCompression: setting(
    'PAYLOAD_COMPRESSION',
    'deflate',
    'compress large Temporal payloads (batches): deflate or none; every client and worker must use the same (the Web UI needs a codec endpoint to show them)',
    oneOf(['none', 'deflate'] as const),
  ),
  codecServerPort: setting(
    'CODEC_SERVER_PORT',
    '8234',
    'port of the codec endpoint `npm run worker` serves so the Web UI can show compressed payloads, once the UI is pointed at it (see TEMPORAL_UI_CODEC_ENDPOINT in docs/INFRA.md); 0 turns it off',
    integer(0, 65_535),
  ),
  metricsPort: setting(
    'METRICS_PORT',
    '9464',
    "port where `npm run worker` serves the pipeline's metrics for Prometheus (`/metrics`: lag, records loaded, runs, durations; see [Metrics and dashboards](#metrics-and-dashboards)); 0 turns it off. Each worker process on a machine needs its own",
    integer(0, 65_535),
  ),
  temporalMetricsPort: setting(
    'TEMPORAL_METRICS_PORT',
    '9465',
    "port where `npm run worker` serves the Temporal SDK's own metrics for Prometheus (`/metrics`: polls, task latencies, slots); 0 turns it off. Each worker process on a machine needs its own",
    integer(0, 65_535),
  ),
  metricsHost: setting(
    'METRICS_HOST',
    '127.0.0.1',
    'address both metrics endpoints listen on; `0.0.0.0` lets a Prometheus on another host (or in a container) scrape them',
    text,
  ),
  sensorTaskQueue: setting(
    'SENSOR_TASK_QUEUE',
    '',
    'task queue of the sensor workflows; empty means microbatch-sensor-<KAFKA_TOPIC>@<KAFKA_GROUP_ID>',
    (raw) => raw.trim(),
  ),
  runsTaskQueue: setting(
    'RUNS_TASK_QUEUE',
    '',
    'task queue of MicroBatchRun workflows and their activities; empty means microbatch-runs-<KAFKA_TOPIC>@<KAFKA_GROUP_ID>',
    (raw) => raw.trim(),
  ),
  desiredThroughputPerSecond: setting(
    'DESIRED_THROUGHPUT_PER_SECOND',
    '1000',
    'producer publish rate, messages per second',
    integer(1, 10_000_000),
  ),
  producerMessageCount: setting(
    'PRODUCER_MESSAGE_COUNT',
    '0',
    'messages the producer sends before it stops; 0 runs until Ctrl-C',
    integer(0, Number.MAX_SAFE_INTEGER),
  ),
  producerMessageBytes: setting(
    'PRODUCER_MESSAGE_BYTES',
    '200',
    'approximate size of each produced JSON value, bytes',
    integer(64, 1_000_000),
  ),
  maxBatchSize: setting('MAX_BATCH_SIZE', '10000', 'most messages in one MicroBatchRun', integer(1, 100_000)),
  maxBatchBytes: setting(
    'MAX_BATCH_BYTES',
    '',
    `byte cap of one batch, counted as its records weigh in a Temporal payload: their JSON in UTF-8 (a character of Chinese text is 3 bytes, an emoji 4, a control character 6; bytes that are not UTF-8 count as base64); a larger single record forms a batch of its own. Empty means ${MAX_BATCH_BYTES_DEFAULT.offsets} (4 MiB) with \`BATCH_PAYLOAD=offsets\`, ${MAX_BATCH_BYTES_DEFAULT.records} (384 KiB) with \`records\` (at most ${MAX_BATCH_BYTES_INLINE} there: a batch travels in one Temporal payload)`,
    (raw) => (raw.trim() === '' ? undefined : integer(1024, MAX_BATCH_BYTES_IN_MEMORY)(raw)),
  ),
  maxConsumeResultBytes: setting(
    'MAX_CONSUME_RESULT_BYTES',
    '1572864',
    'with `BATCH_PAYLOAD=records`: bytes of records (counted as for `MAX_BATCH_BYTES`) one consume-batch call returns to the sensor (several batches), before compression; without PAYLOAD_COMPRESSION keep it under 512 KiB, where Temporal warns',
    integer(1024, 1_572_864),
  ),
  maxBatchWait: setting(
    'MAX_BATCH_WAIT',
    '1s',
    'longest a record waits in the buffer for its batch to fill: a batch is cut when full or when its oldest record has waited this long',
    durationMs,
  ),
  maxSensorTickRuntime: setting(
    'MAX_SENSOR_TICK_RUNTIME',
    '30s',
    'how long one sensor tick keeps running consume-batch',
    durationMs,
  ),
  timeBetweenSensorTicks: setting(
    'TIME_BETWEEN_SENSOR_TICKS',
    '5s',
    'durable wait between ticks once the topic is idle (a consume call found nothing); records arriving end it early',
    durationMsOrZero,
  ),
  sensorReplicas: setting(
    'SENSOR_REPLICAS',
    '6',
    'number of sensor workflows (= Kafka consumers in the group)',
    integer(1, 1000),
  ),
  maxConcurrentRuns: setting(
    'MAX_CONCURRENT_RUNS',
    '10',
    'process-batch activities one worker runs at once (the max-concurrent-runs limit)',
    integer(1, 10_000),
  ),
  maxInFlightRuns: setting(
    'MAX_IN_FLIGHT_RUNS',
    '20',
    'started-but-unfinished runs per sensor; beyond it messages wait in Kafka',
    integer(1, 1_900),
  ),
  workerMemoryBudget: setting(
    'WORKER_MEMORY_BUDGET',
    String(WORKER_MEMORY_BUDGET_DEFAULT),
    `heap bytes one worker process may hold of the stream's records (${WORKER_MEMORY_BUDGET_DEFAULT / MiB} MiB by default), split among the Kafka fetches of its consumers (1/8), their record buffers (3/8: an own share each plus a pool they share) and the batches waiting for their runs (1/2); beyond it records wait in Kafka as lag, or a run reads its batch back from Kafka. The process itself comes on top (about 230-270 MiB of RSS idle). See "Memory" in docs/BENCHMARKS.md`,
    integer(16 * MiB, 64 * 1024 * MiB),
  ),
  runMaxAttempts: setting(
    'RUN_MAX_ATTEMPTS',
    '5',
    'attempts of process-batch before records the transform keeps failing on (while their batch-mates pass) are dead-lettered',
    integer(1, 100),
  ),
  runActivityTimeout: setting(
    'RUN_ACTIVITY_TIMEOUT',
    '30s',
    'start-to-close timeout of one process-batch attempt; a lost attempt (its worker died) is retried after it',
    durationMs,
  ),
  runRetryInitialInterval: setting(
    'RUN_RETRY_INITIAL_INTERVAL',
    '1s',
    'first retry delay of process-batch (doubles each attempt, at most 30s)',
    durationMs,
  ),
  runOutageMaxBackoff: setting(
    'RUN_OUTAGE_MAX_BACKOFF',
    '30s',
    'longest wait between rounds of retries while a run is held (the sink or Kafka down, a systemic failure; the wait doubles from RUN_RETRY_INITIAL_INTERVAL up to it); a held run retries for as long as the cause lasts',
    durationMs,
  ),
  sensorRetryMaxBackoff: setting(
    'SENSOR_RETRY_MAX_BACKOFF',
    '60s',
    "longest wait between a sensor's retries while its calls keep failing (topic missing, Kafka or the consumer's worker away); the wait doubles from 1s up to it",
    durationMs,
  ),
  sink: setting(
    'SINK',
    'sqlite',
    'where processed batches go: `sqlite` (a file) or `postgres` (a PostgreSQL server; see "Processing and sinks")',
    oneOf(['sqlite', 'postgres'] as const),
  ),
  sinkWriteMode: setting(
    'SINK_WRITE_MODE',
    'insert',
    'a record loaded again: `insert` keeps the row already stored (the first load wins), `replace` overwrites it with the new load',
    oneOf(WRITE_MODES),
  ),
  sqlitePath: setting('SQLITE_PATH', '.data/sink.sqlite', 'SQLite database file of the sqlite sink', text),
  databaseUrl: setting(
    'DATABASE_URL',
    '',
    'PostgreSQL server of the postgres sink, `postgresql://user:password@host:port/database?sslmode=…`; empty means the libpq `PG*` variables (`PGHOST`, `PGUSER`, …), and without those the local server of `scripts/infra.sh` (`postgresql://microbatch@127.0.0.1:5433/microbatch`). The password never appears in a message',
    (raw) => raw.trim(),
    { shown: redactUrl },
  ),
  postgresTable: setting(
    'POSTGRES_TABLE',
    'events',
    'table of the postgres sink, optionally schema-qualified (`sink.events`); created if missing',
    tableName,
  ),
  workerRoles: setting(
    'WORKER_ROLES',
    'sensor,runs',
    'what `npm run worker` runs: sensor (consumers + sensors), runs (MicroBatchRun), or both',
    list,
  ),
  manageSensors: setting(
    'MANAGE_SENSORS',
    'true',
    '`npm run worker` starts missing sensors and stops extra ones',
    boolean,
  ),
  logLevel: setting(
    'LOG_LEVEL',
    'info',
    'debug, info, warn or error',
    oneOf(['debug', 'info', 'warn', 'error'] as const),
  ),
} as const;

type Settings = typeof SETTINGS;
type Parsed = { [K in keyof Settings]: ReturnType<Settings[K]['parse']> };
/**
 * The settings after derived defaults are filled in (none is left undefined), plus what the Kafka
 * security settings resolve to (files read, combinations checked).
 */
export type Config = Omit<Parsed, 'maxBatchBytes'> & {
  maxBatchBytes: number;
  kafkaSecurity: KafkaSecurity;
  /** Temporal's address, namespace, TLS and API key by its conventions (environment over profile). */
  temporal: TemporalConnection;
  /** With SINK=postgres: where it connects (DATABASE_URL and the PG* variables, resolved). */
  postgres?: PostgresTarget;
};

/**
 * Parses every setting from `env` (default: process.env, after loading an optional .env file),
 * then checks the combinations no single parser can see.
 */
export function loadConfig(env: NodeJS.ProcessEnv = readEnvironment()): Config {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(SETTINGS)) {
    const raw = env[s.name] ?? s.default;
    try {
      out[key] = s.parse(raw);
    } catch (err) {
      throw new ConfigError(s.name, s.shown(raw), (err as Error).message);
    }
  }
  // Derived defaults. Queues are per pipeline (topic and consumer group): a worker must only ever
  // pick up work of its own pipeline (its consumers, its sink), even when several pipelines share
  // one Temporal namespace or read the same topic.
  out.dlqTopic ||= `${out.topic}.dlq`;
  out.sensorTaskQueue ||= `microbatch-sensor-${out.topic}@${out.groupId}`;
  out.runsTaskQueue ||= `microbatch-runs-${out.topic}@${out.groupId}`;
  out.maxBatchBytes ??= MAX_BATCH_BYTES_DEFAULT[out.batchPayload as BatchPayload];
  out.kafkaSecurity = resolveKafkaSecurity(out as Parsed);
  const temporal = resolveTemporalConnection(env);
  out.temporal = temporal;
  out.temporalAddress = temporal.address;
  out.temporalNamespace = temporal.namespace;
  const config = out as Config;
  checkCombinations(config, env);
  if (config.sink === 'postgres') {
    try {
      config.postgres = resolvePostgres(config.databaseUrl, env);
    } catch (err) {
      if (!(err instanceof PostgresSettingError)) throw err;
      throw new ConfigError(err.variable, err.value, err.expected);
    }
  }
  return config;
}

function checkCombinations(c: Config, env: NodeJS.ProcessEnv): void {
  const raw = (key: keyof Settings) => env[SETTINGS[key].name] ?? SETTINGS[key].default;
  if (c.dlqTopic === c.topic) {
    throw new ConfigError(
      'KAFKA_DLQ_TOPIC',
      c.dlqTopic,
      'a topic other than KAFKA_TOPIC (dead letters must not loop back)',
    );
  }
  if (c.maxBatchWait >= c.maxSensorTickRuntime) {
    throw new ConfigError(
      'MAX_BATCH_WAIT',
      raw('maxBatchWait'),
      `less than MAX_SENSOR_TICK_RUNTIME (${raw('maxSensorTickRuntime')})`,
    );
  }
  if (c.sensorTaskQueue === c.runsTaskQueue) {
    throw new ConfigError('RUNS_TASK_QUEUE', c.runsTaskQueue, 'a task queue other than SENSOR_TASK_QUEUE');
  }
  if (c.batchPayload === 'records' && c.maxBatchBytes > MAX_BATCH_BYTES_INLINE) {
    throw new ConfigError(
      'MAX_BATCH_BYTES',
      raw('maxBatchBytes'),
      `at most ${MAX_BATCH_BYTES_INLINE} with BATCH_PAYLOAD=records (a batch travels in one Temporal payload)`,
    );
  }
  if (c.metricsPort > 0 && c.metricsPort === c.temporalMetricsPort) {
    throw new ConfigError(
      'TEMPORAL_METRICS_PORT',
      raw('temporalMetricsPort'),
      `a port other than METRICS_PORT (${c.metricsPort}), or 0`,
    );
  }
  const roles = new Set(c.workerRoles);
  for (const role of roles) {
    if (role !== 'sensor' && role !== 'runs') {
      throw new ConfigError('WORKER_ROLES', raw('workerRoles'), 'a comma-separated list of sensor and runs');
    }
  }
}

function readEnvironment(): NodeJS.ProcessEnv {
  // Values already in the environment win over the .env file (process.loadEnvFile does not overwrite).
  if (existsSync('.env')) process.loadEnvFile('.env');
  return process.env;
}

/** For entry points: load the config or print the reason and exit with code 2. */
export function loadConfigOrExit(env?: NodeJS.ProcessEnv): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2); // = EXIT_BAD_SETTING in src/workers/exit.ts, as every entry point exits
    }
    throw err;
  }
}
