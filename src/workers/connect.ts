// Connections to Temporal and Kafka for entry points: each waits, with readable retries, until the
// server answers, so starting the worker before the servers is not an error.

import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Config } from '../config';
import { FailureType } from '../errors';
import type { KafkaClientConfig } from '../kafka/client';
import type { KafkaAdmin, KafkaClient } from '../kafka/port';
import type { Logger } from '../logger';
import { MetricsPortInUseError } from '../metrics/metrics-server';
import type { ConnectionSystem } from '../metrics/pipeline-metrics';
import { dataConverterFor } from './compression-codec';
import { retryUntilConnected } from './retry';
import type { TemporalConnection } from '../temporal/connection-settings';
import { temporalRefusalOf } from '../temporal/refusal';

type TemporalConfig = Pick<Config, 'temporal' | 'payloadCompression'>;

/** Connection options shared by the client and the worker: address, TLS, API key, metadata. */
export function temporalConnectionOptions(temporal: TemporalConnection) {
  return {
    address: temporal.address,
    tls: temporal.tls,
    apiKey: temporal.apiKey?.reveal(),
    metadata: temporal.metadata,
  };
}

/** Hears of each failed attempt to connect (the worker's metrics count them). */
export type ConnectionFailures = (system: ConnectionSystem) => void;

export async function connectClient(
  config: TemporalConfig,
  logger: Logger,
  failed?: ConnectionFailures,
): Promise<Client> {
  const { temporal } = config;
  const connection = await retryUntilConnected(
    `Temporal at ${temporal.address}`,
    () =>
      Connection.connect({ ...temporalConnectionOptions(temporal), connectTimeout: '5s' }).catch(
        async (err: unknown) => {
          throw (await temporalRefusalOf(err, temporal)) ?? err;
        },
      ),
    logger,
    { onFailure: () => failed?.('temporal') },
  );
  return new Client({ connection, namespace: temporal.namespace, dataConverter: dataConverterFor(config) });
}

export function connectWorkerConnection(
  config: TemporalConfig,
  logger: Logger,
  failed?: ConnectionFailures,
): Promise<NativeConnection> {
  const { temporal } = config;
  return retryUntilConnected(
    `Temporal at ${temporal.address}`,
    () =>
      NativeConnection.connect(temporalConnectionOptions(temporal)).catch(async (err: unknown) => {
        throw (await temporalRefusalOf(err, temporal)) ?? err;
      }),
    logger,
    { onFailure: () => failed?.('temporal') },
  );
}

/**
 * An admin once the brokers answer. Waits (with a line per attempt) while they are away, but
 * throws RefusedSettingError at once when they refuse our security settings: no retry fixes those.
 */
export async function connectAdmin(
  kafka: KafkaClient,
  config: KafkaClientConfig,
  logger: Logger,
  failed?: ConnectionFailures,
): Promise<KafkaAdmin> {
  return retryUntilConnected(
    `Kafka at ${config.kafkaBrokers.join(',')}`,
    async () => {
      await kafka.probe();
      return kafka.admin();
    },
    logger,
    { onFailure: () => failed?.('kafka') },
  );
}

/**
 * Warnings of the Temporal SDK that describe how this app is built, not a problem a user can act
 * on: the worker of a process's consumer task queue serves activities only, by design, and the SDK
 * warns about that on every start.
 */
const EXPECTED_WARNINGS = new Set(['No workflows registered, not polling for workflow tasks']);

/**
 * Activity failures the run answers by holding its records (an outage, a systemic failure): the run
 * logs one `run held` line per cause, so the SDK's line per failed attempt (with a stack trace)
 * would only bury it. Kept at debug level.
 */
const HELD_FAILURES = new Set<string>([
  FailureType.SinkUnavailable,
  FailureType.SourceUnavailable,
  FailureType.Systemic,
]);

/** The Temporal SDK's logger, without the messages in EXPECTED_WARNINGS and with HELD_FAILURES quiet. */
export class TemporalLogger extends DefaultLogger {
  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (EXPECTED_WARNINGS.has(message)) return;
    if (message === 'Activity failed' && HELD_FAILURES.has((meta?.error as Error | undefined)?.name ?? '')) {
      level = 'DEBUG';
    }
    super.log(level, message, meta);
  }
}

/**
 * Installs the Temporal SDK's runtime, once per process, before any connection or worker is made:
 * its logger (worker state changes are logged at INFO: keep its output to warnings unless
 * debugging) and, when `metrics` is given, the Prometheus endpoint of the SDK's own metrics
 * (TEMPORAL_METRICS_PORT), named by Prometheus conventions (`_total`, `_seconds`).
 */
export function installTemporalLogger(
  level: Config['logLevel'],
  metrics?: { host: string; port: number; setting: string },
): void {
  const logger = new TemporalLogger(level === 'debug' ? 'INFO' : 'WARN');
  if (!metrics) {
    Runtime.install({ logger });
    return;
  }
  const bindAddress = `${metrics.host.includes(':') ? `[${metrics.host}]` : metrics.host}:${metrics.port}`;
  try {
    Runtime.install({
      logger,
      telemetryOptions: {
        metrics: {
          prometheus: { bindAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true },
        },
      },
    });
  } catch (err) {
    // The core says "Failed to start prometheus metrics exporter: Address already in use".
    if (/address already in use/i.test(String((err as Error)?.message))) {
      throw new MetricsPortInUseError(metrics.setting, metrics.host, metrics.port);
    }
    throw err;
  }
}
