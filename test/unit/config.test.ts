import { describe, expect, it } from 'vitest';
import { loadConfig, SETTINGS } from '../../src/config';
import { configErrorOf as errorOf } from '../config-error-of';

describe('configuration', () => {
  it('has a working default for every setting', () => {
    const config = loadConfig({});
    expect(config.maxBatchSize).toBe(10_000);
    expect(config.batchPayload).toBe('offsets');
    expect(config.maxBatchBytes).toBe(4_194_304);
    // Records carried inline default to a batch that stays under Temporal's payload warning.
    expect(loadConfig({ BATCH_PAYLOAD: 'records' }).maxBatchBytes).toBe(393_216);
    expect(config.maxSensorTickRuntime).toBe(30_000);
    expect(config.timeBetweenSensorTicks).toBe(5_000);
    expect(config.dlqTopic).toBe('events.dlq');
    // Queues are per pipeline: another group on the same topic gets queues of its own.
    expect(config.sensorTaskQueue).toBe('microbatch-sensor-events@microbatch-sensor');
    expect(config.runsTaskQueue).toBe('microbatch-runs-events@microbatch-sensor');
    const other = loadConfig({ KAFKA_GROUP_ID: 'b' });
    expect(other.sensorTaskQueue).toBe('microbatch-sensor-events@b');
    expect(other.runsTaskQueue).toBe('microbatch-runs-events@b');
    expect(config.workerRoles).toEqual(['sensor', 'runs']);
  });

  it('reads durations as seconds when bare, or with a unit', () => {
    expect(loadConfig({ MAX_SENSOR_TICK_RUNTIME: '45' }).maxSensorTickRuntime).toBe(45_000);
    expect(loadConfig({ MAX_BATCH_WAIT: '250ms' }).maxBatchWait).toBe(250);
    expect(loadConfig({ TIME_BETWEEN_SENSOR_TICKS: '2m' }).timeBetweenSensorTicks).toBe(120_000);
    expect(loadConfig({ TIME_BETWEEN_SENSOR_TICKS: '0' }).timeBetweenSensorTicks).toBe(0);
  });

  it.each([
    ['MAX_BATCH_SIZE', 'ten'],
    ['MAX_BATCH_SIZE', '0'],
    ['MAX_BATCH_SIZE', '-5'],
    ['MAX_BATCH_SIZE', '1.5'],
    ['SENSOR_REPLICAS', '0'],
    ['MAX_CONCURRENT_RUNS', ''],
    ['DESIRED_THROUGHPUT_PER_SECOND', '1e3'],
    ['MAX_SENSOR_TICK_RUNTIME', '0'],
    ['MAX_SENSOR_TICK_RUNTIME', '-1s'],
    ['MAX_BATCH_WAIT', 'soon'],
    ['KAFKA_FROM_BEGINNING', 'maybe'],
    ['SINK', 'mysql'],
    ['SINK_WRITE_MODE', 'upsert'],
    ['POSTGRES_TABLE', 'Events'],
    ['KAFKA_TOPIC', '   '],
    ['MAX_BATCH_BYTES', '100000000'],
    ['BATCH_PAYLOAD', 'inline'],
    ['WORKER_MEMORY_BUDGET', '128MiB'],
    ['WORKER_MEMORY_BUDGET', '1048576'],
  ])('rejects %s=%j naming the variable and the value', (name, value) => {
    const err = errorOf({ [name]: value });
    expect(err.variable).toBe(name);
    expect(err.value).toBe(value);
    expect(err.message).toContain(name);
    expect(err.message).toContain('expected');
  });

  it('rejects impossible combinations', () => {
    expect(errorOf({ MAX_BATCH_WAIT: '30s', MAX_SENSOR_TICK_RUNTIME: '10s' }).variable).toBe('MAX_BATCH_WAIT');
    expect(errorOf({ KAFKA_TOPIC: 'a', KAFKA_DLQ_TOPIC: 'a' }).variable).toBe('KAFKA_DLQ_TOPIC');
    expect(errorOf({ SENSOR_TASK_QUEUE: 'q', RUNS_TASK_QUEUE: 'q' }).variable).toBe('RUNS_TASK_QUEUE');
    expect(errorOf({ WORKER_ROLES: 'sensor,cleaner' }).variable).toBe('WORKER_ROLES');
    // Records carried in a run's input must fit one Temporal payload; offsets only need memory.
    const inline = errorOf({ BATCH_PAYLOAD: 'records', MAX_BATCH_BYTES: '3000000' });
    expect(inline.variable).toBe('MAX_BATCH_BYTES');
    expect(inline.message).toContain('BATCH_PAYLOAD=records');
    expect(loadConfig({ BATCH_PAYLOAD: 'offsets', MAX_BATCH_BYTES: '3000000' }).maxBatchBytes).toBe(3_000_000);
  });

  it('documents every setting with a description and a default that parses', () => {
    for (const s of Object.values(SETTINGS)) {
      expect(s.description.length).toBeGreaterThan(10);
      expect(() => s.parse(s.default)).not.toThrow();
    }
  });
});
