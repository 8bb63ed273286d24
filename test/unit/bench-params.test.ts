// The benchmark's parameters (scripts/bench/params.ts): every one from its BENCH_* variable or its
// flag (the flag wins), defaults when neither is given, and a bad value or flag refused with the
// variable's name. The sink choice has its own test (bench-sinks.test.ts).

import { describe, expect, it } from 'vitest';
import { BenchParamError, PARAMS, parseParams, usage } from '../../scripts/bench/params';

describe('the benchmark parameters', () => {
  it('has a default for every parameter', () => {
    const p = parseParams([], {});
    expect(p).toMatchObject({
      messages: 500_000,
      partitions: 6,
      messageBytes: 200,
      padding: 'words',
      repeats: 3,
      steadyRate: 10_000,
      steadySeconds: 60,
      idleSeconds: 60,
      workerEnv: { KAFKA_CLIENT: 'kafkajs' },
      variants: [
        { name: 'baseline', env: {} },
        { name: 'client-platformatic', env: { KAFKA_CLIENT: 'platformatic' } },
      ],
      clients: ['kafkajs', 'platformatic'],
      sinks: ['sqlite'],
      profile: false,
      drainTimeoutSeconds: 900,
      outDir: 'bench-results',
    });
    expect([...p.scenarios]).toEqual(['ceiling', 'drain', 'steady', 'cost', 'idle', 'launch']);
  });

  it('takes a flag as "--flag value" or "--flag=value", over the variable', () => {
    const env = { BENCH_MESSAGES: '1000', BENCH_REPEATS: '2' };
    expect(parseParams(['--messages', '20000'], env)).toMatchObject({ messages: 20_000, repeats: 2 });
    expect(parseParams(['--messages=30000', '--message-bytes=300'], env)).toMatchObject({
      messages: 30_000,
      messageBytes: 300,
    });
    // The last of a repeated flag wins.
    expect(parseParams(['--repeats', '1', '--repeats', '4'], {}).repeats).toBe(4);
  });

  it('reads every parameter from its variable', () => {
    const p = parseParams([], {
      BENCH_PARTITIONS: '12',
      BENCH_PADDING: 'repeat',
      BENCH_STEADY_RATE: '100',
      BENCH_STEADY_SECONDS: '5',
      BENCH_SCENARIOS: 'drain, cost',
      BENCH_WORKER_ENV: 'MAX_BATCH_SIZE=1000,SENSOR_REPLICAS=2',
      BENCH_VARIANTS: 'a;b:BATCH_PAYLOAD=records',
      BENCH_PROFILE: 'yes',
      BENCH_DRAIN_TIMEOUT: '60',
      BENCH_OUT_DIR: '/tmp/out',
    });
    expect(p).toMatchObject({
      partitions: 12,
      padding: 'repeat',
      steadyRate: 100,
      steadySeconds: 5,
      workerEnv: { MAX_BATCH_SIZE: '1000', SENSOR_REPLICAS: '2', KAFKA_CLIENT: 'kafkajs' },
      variants: [
        { name: 'a', env: {} },
        { name: 'b', env: { BATCH_PAYLOAD: 'records' } },
        { name: 'client-platformatic', env: { KAFKA_CLIENT: 'platformatic' } },
      ],
      profile: true,
      drainTimeoutSeconds: 60,
      outDir: '/tmp/out',
    });
    expect([...p.scenarios]).toEqual(['drain', 'cost']);
  });

  it('compares the Kafka clients named: the first runs every worker, each other one drains as a variant on the first variant settings', () => {
    const one = parseParams(['--clients', 'platformatic'], {});
    expect(one.clients).toEqual(['platformatic']);
    expect(one.workerEnv).toEqual({ KAFKA_CLIENT: 'platformatic' });
    expect(one.variants).toEqual([{ name: 'baseline', env: {} }]);
    const both = parseParams([], { BENCH_CLIENTS: 'platformatic,kafkajs', BENCH_VARIANTS: 'x:MAX_BATCH_SIZE=10;y' });
    expect(both.workerEnv).toEqual({ KAFKA_CLIENT: 'platformatic' });
    expect(both.variants.map((v) => v.name)).toEqual(['x', 'y', 'client-kafkajs']);
    expect(both.variants[2]!.env).toEqual({ MAX_BATCH_SIZE: '10', KAFKA_CLIENT: 'kafkajs' });
    expect(() => parseParams(['--clients', 'kafkajs,rdkafka'], {})).toThrow(
      'BENCH_CLIENTS=kafkajs,rdkafka is not valid',
    );
    expect(() => parseParams([], { BENCH_WORKER_ENV: 'KAFKA_CLIENT=platformatic' })).toThrow('BENCH_CLIENTS');
  });

  it('takes --profile as a switch, alone or before another flag, or with a value', () => {
    expect(parseParams(['--profile'], {}).profile).toBe(true);
    expect(parseParams(['--profile', '--messages', '10'], {})).toMatchObject({ profile: true, messages: 10 });
    expect(parseParams(['--profile', 'false'], {}).profile).toBe(false);
    expect(parseParams(['--profile=false'], { BENCH_PROFILE: 'true' }).profile).toBe(false);
  });

  it('opts in to the scale scenario, which is not in the default set', () => {
    expect(parseParams([], {}).scenarios.has('scale')).toBe(false);
    expect([...parseParams(['--scenarios', 'scale'], {}).scenarios]).toEqual(['scale']);
  });

  it('refuses a bad value naming its variable, whether it came from the flag or the variable', () => {
    expect(() => parseParams(['--messages', 'many'], {})).toThrow(
      'BENCH_MESSAGES=many is not valid: expected an integer >= 1',
    );
    expect(() => parseParams([], { BENCH_MESSAGE_BYTES: '10' })).toThrow(
      'BENCH_MESSAGE_BYTES=10 is not valid: expected an integer >= 64',
    );
    expect(() => parseParams(['--scenarios', 'drain,fast'], {})).toThrow(/^BENCH_SCENARIOS=drain,fast is not valid/);
    expect(() => parseParams(['--padding', 'zeros'], {})).toThrow('BENCH_PADDING=zeros is not valid');
    expect(() => parseParams(['--worker-env', 'MAX_BATCH_SIZE'], {})).toThrow(
      'BENCH_WORKER_ENV: "MAX_BATCH_SIZE" is not KEY=VALUE',
    );
    expect(() => parseParams(['--variants', 'a;a'], {})).toThrow('BENCH_VARIANTS: names must differ');
  });

  it('refuses an unknown flag, a stray argument and a flag without its value, with the usage', () => {
    const error = (argv: string[]) => {
      try {
        parseParams(argv, {});
      } catch (err) {
        expect(err).toBeInstanceOf(BenchParamError);
        return (err as Error).message;
      }
      throw new Error(`${argv.join(' ')} was accepted`);
    };
    expect(error(['--fast'])).toMatch(/^unknown argument --fast\nusage: npm run bench/);
    expect(error(['--messages=5', 'extra'])).toMatch(/^unknown argument extra\nusage:/);
    expect(error(['--messages'])).toBe('--messages needs a value');
    expect(error(['--messages', '--repeats', '1'])).toBe('--messages needs a value');
  });

  it('answers --help and -h with a line per flag: its variable, meaning and default', () => {
    for (const flag of ['--help', '-h']) {
      expect(() => parseParams([flag], {})).toThrow(BenchParamError);
      expect(() => parseParams([flag], {})).toThrow(usage());
    }
    const text = usage();
    expect(text.split('\n')[0]).toBe('usage: npm run bench -- [flags]');
    for (const spec of Object.values(PARAMS)) {
      expect(text).toContain(`--${spec.flag}`);
      expect(text).toContain(spec.env);
      expect(text).toContain(`(default ${spec.default || '""'})`);
    }
    expect(text).toContain(
      '  --messages        BENCH_MESSAGES       messages pre-filled for the ceiling and each drain (default 500000)',
    );
  });
});
