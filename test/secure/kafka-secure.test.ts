// The whole path over secured connections: Kafka over SASL_SSL with SCRAM-SHA-512 and Temporal
// over mTLS, then Kafka over mTLS and Temporal with an API key. The producer publishes, sensors
// consume, runs load the sink, a bad record reaches the dead-letter topic, and `npm run lag`,
// `records` and `dlq` read it all back, every client with the settings a user would set. Runs
// against the secured broker and the TLS front of Temporal that `infra.sh up secure` starts.

import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, setUpPipeline } from '../pipeline-harness';
import { ensureSensors } from '../../src/workers/sensors';
import { logger, sinkRows, testConfig, testProducer, uniqueName, waitFor } from '../helpers';
import { runCommand, secureKafkaEnv, secureTemporalEnv, type SecureVariant, type TemporalVariant } from './secure-env';

const defer = cleanupAfterEach();

describe.each<[string, SecureVariant, TemporalVariant]>([
  ['Kafka SASL_SSL with SCRAM-SHA-512 and Temporal mTLS', 'sasl', 'mtls'],
  ['Kafka mTLS and a Temporal API key', 'mtls', 'apikey'],
])('over %s', (_name, variant, temporalVariant) => {
  it('records travel from the producer through sensors and runs into the sink, and lag, records and dlq read them', async () => {
    const name = uniqueName('sec');
    // The same settings for the test's pipeline and for every command it runs.
    const env: Record<string, string> = {
      ...secureKafkaEnv(variant),
      ...secureTemporalEnv(temporalVariant),
      KAFKA_TOPIC: name,
      KAFKA_GROUP_ID: `${name}-group`,
      SENSOR_TASK_QUEUE: `${name}-sensor`,
      RUNS_TASK_QUEUE: `${name}-runs`,
      KAFKA_TOPIC_PARTITIONS: '3',
      SENSOR_REPLICAS: '1',
    };
    const config = testConfig(env);
    const { servers } = await setUpPipeline(config, defer);
    await ensureSensors(servers.client, config, logger);

    const produced = await runCommand('scripts/producer.ts', [], {
      ...env,
      PRODUCER_MESSAGE_COUNT: '60',
      DESIRED_THROUGHPUT_PER_SECOND: '10000',
    });
    expect(produced.stderr).not.toContain('error');
    expect(produced.code).toBe(0);
    // A record the transform rejects: the dead-letter publisher must get through too.
    const producer = testProducer(servers.kafka);
    await producer.send(config.topic, [{ key: 'bad', value: 'not json' }]);
    await producer.close();

    await waitFor('60 rows in the sink', () => sinkRows(config).length === 60);
    const dlq = await waitFor('the bad record in the dead-letter topic', async () => {
      const listed = await runCommand('scripts/dlq.ts', ['list', '--json'], env);
      return listed.code === 0 && listed.stdout.includes('"not json"') ? listed : undefined;
    });
    expect(dlq.stdout).toContain('"key":"bad"');

    const lag = await waitFor('lag 0', async () => {
      const result = await runCommand('scripts/lag.ts', [], env);
      return result.code === 0 && result.stdout.includes('total lag: 0 ') ? result : undefined;
    });
    expect(lag.stdout).toContain('log-end total: 61');

    const db = new Database(config.sqlitePath, { readonly: true });
    const { run_id: runId } = db.prepare('SELECT run_id FROM events LIMIT 1').get() as { run_id: string };
    db.close();
    const records = await runCommand('scripts/records.ts', [runId], env);
    expect(records.code).toBe(0);
    const lines = records.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { valueFormat: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.valueFormat === 'json')).toBe(true);
  });
});
