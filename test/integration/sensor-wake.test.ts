// A sensor waiting between ticks on an idle topic is woken by its consumer's worker when records
// arrive (src/sensor-wake.ts), against the real servers: with an hour between ticks, records sent
// during the wait are loaded long before the timer would have fired.

import { describe, expect, it } from 'vitest';
import { sensorWorkflowId } from '../../src/batch';
import { ensureSensors } from '../../src/workers/sensors';
import { statusQuery } from '../../src/workflows/sensor';
import { logger, sinkRows, testConfig, waitFor } from '../helpers';
import { cleanupAfterEach, produce, setUpPipeline } from '../pipeline-harness';

const defer = cleanupAfterEach();

describe('a sensor waiting between ticks', () => {
  it('starts its next tick when records arrive, not when its timer fires', async () => {
    const config = testConfig({ KAFKA_TOPIC_PARTITIONS: '2', SENSOR_REPLICAS: '1', TIME_BETWEEN_SENSOR_TICKS: '1h' });
    const { servers } = await setUpPipeline(config, defer);
    await ensureSensors(servers.client, config, logger);
    const sensor = servers.client.workflow.getHandle(sensorWorkflowId(config.topic, config.groupId, 0));
    const status = () => sensor.query(statusQuery);
    // Its first tick finds the topic empty: it waits, for an hour unless woken.
    await waitFor(
      'the sensor waiting between ticks',
      async () => (await status()).phase === 'waiting between ticks',
      60_000,
    );
    expect((await status()).wakes).toBe(0);

    await produce(servers, config.topic, 50);
    await waitFor('50 rows in the sink', () => sinkRows(config).length === 50, 60_000);
    const after = await status();
    expect(after.wakes).toBeGreaterThanOrEqual(1);
    expect(after.messages).toBe(50);
    // Caught up again, it waits again (and a second burst wakes it again).
    await waitFor('waiting again', async () => (await status()).phase === 'waiting between ticks', 30_000);
    await produce(servers, config.topic, 20);
    await waitFor('70 rows in the sink', () => sinkRows(config).length === 70, 60_000);
    expect((await status()).wakes).toBeGreaterThanOrEqual(2);
  });
});
