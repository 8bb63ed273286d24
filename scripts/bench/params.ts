// The benchmark's parameters: every one has a default, an environment variable and a CLI flag
// (`--messages 20000` or `--messages=20000` sets BENCH_MESSAGES), read with node:util parseArgs.
// docs/BENCHMARKS.md lists them. A bad value stops the benchmark with the variable's name, as
// src/config.ts does for the app.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { KAFKA_CLIENTS, type KafkaClientName } from '../../src/config';
import { SINK_CHOICES, type SinkKind } from './sinks';
import type { Padding } from './topics';

export interface Variant {
  /** Shown in the table; "baseline" is the reference the ratios are taken against. */
  name: string;
  /** Settings (src/config.ts names) the worker of this variant gets on top of the common ones. */
  env: Record<string, string>;
}

export interface BenchParams {
  messages: number;
  partitions: number;
  messageBytes: number;
  padding: Padding;
  repeats: number;
  steadyRate: number;
  steadySeconds: number;
  idleSeconds: number;
  scenarios: Set<Scenario>;
  /** Worker settings shared by every variant (batch size, replicas, ...), from BENCH_WORKER_ENV. */
  workerEnv: Record<string, string>;
  variants: Variant[];
  /** Sinks the ceiling and the drains write into, each drain against its own sink's ceiling. */
  sinks: SinkKind[];
  /**
   * Kafka clients compared: the first is the reference (the ceilings into a sink and the variants
   * use it); each reads the topic bare (a read-only ceiling of its own) and each other one drains
   * as a variant `client-<name>` (the first variant's settings with KAFKA_CLIENT=<name>).
   */
  clients: KafkaClientName[];
  profile: boolean;
  drainTimeoutSeconds: number;
  outDir: string;
}

export type Scenario = 'ceiling' | 'drain' | 'steady' | 'cost' | 'idle' | 'launch' | 'scale';
const SCENARIOS: Scenario[] = ['ceiling', 'drain', 'steady', 'cost', 'idle', 'launch', 'scale'];

interface Spec {
  env: string;
  flag: string;
  default: string;
  help: string;
}

export const PARAMS: Record<string, Spec> = {
  messages: {
    env: 'BENCH_MESSAGES',
    flag: 'messages',
    default: '500000',
    help: 'messages pre-filled for the ceiling and each drain',
  },
  partitions: {
    env: 'BENCH_PARTITIONS',
    flag: 'partitions',
    default: '6',
    help: 'partitions of every benchmark topic',
  },
  messageBytes: {
    env: 'BENCH_MESSAGE_BYTES',
    flag: 'message-bytes',
    default: '200',
    help: 'approximate JSON value size, bytes',
  },
  padding: {
    env: 'BENCH_PADDING',
    flag: 'padding',
    default: 'words',
    help: 'pre-filled values padded with "words" (compresses like event JSON) or "repeat" (xxx…, as npm run producer)',
  },
  repeats: {
    env: 'BENCH_REPEATS',
    flag: 'repeats',
    default: '3',
    help: 'repeats of ceiling + drains (min/median/max over them)',
  },
  steadyRate: {
    env: 'BENCH_STEADY_RATE',
    flag: 'steady-rate',
    default: '10000',
    help: 'producer rate of the steady-state scenario, msg/s',
  },
  steadySeconds: {
    env: 'BENCH_STEADY_SECONDS',
    flag: 'steady-seconds',
    default: '60',
    help: 'how long the steady-state producer runs',
  },
  idleSeconds: {
    env: 'BENCH_IDLE_SECONDS',
    flag: 'idle-seconds',
    default: '60',
    help: 'how long the idle scenario counts what sensors on an empty topic cost',
  },
  scenarios: {
    env: 'BENCH_SCENARIOS',
    flag: 'scenarios',
    default: 'ceiling,drain,steady,cost,idle,launch',
    help: `which scenarios run, any of ${SCENARIOS.join(',')} (cost needs drain)`,
  },
  workerEnv: {
    env: 'BENCH_WORKER_ENV',
    flag: 'worker-env',
    default: '',
    help: 'settings for every worker, e.g. "MAX_BATCH_SIZE=1000,SENSOR_REPLICAS=2"',
  },
  variants: {
    env: 'BENCH_VARIANTS',
    flag: 'variants',
    default: 'baseline',
    help: 'drain variants, ";"-separated "name:KEY=V,KEY=V"; the first is the reference',
  },
  sink: {
    env: 'BENCH_SINK',
    flag: 'sink',
    default: 'sqlite',
    help: 'sink of the ceiling and the drains: sqlite, postgres (a table per scenario in DATABASE_URL) or both',
  },
  clients: {
    env: 'BENCH_CLIENTS',
    flag: 'clients',
    default: KAFKA_CLIENTS.join(','),
    help: 'Kafka clients compared (KAFKA_CLIENT values); the first is the reference, each other one drains as variant client-<name>',
  },
  profile: {
    env: 'BENCH_PROFILE',
    flag: 'profile',
    default: 'false',
    help: "CPU-profile the first baseline drain's worker (node --cpu-prof)",
  },
  drainTimeoutSeconds: {
    env: 'BENCH_DRAIN_TIMEOUT',
    flag: 'drain-timeout',
    default: '900',
    help: 'a drain that takes longer fails the benchmark, seconds',
  },
  outDir: {
    env: 'BENCH_OUT_DIR',
    flag: 'out-dir',
    default: 'bench-results',
    help: 'where the JSON results (and profiles) go',
  },
};

export class BenchParamError extends Error {
  override readonly name = 'BenchParamError';
}

/** parseArgs options: one string option per parameter, named by its flag, and --help / -h. */
const OPTIONS: ParseArgsConfig['options'] = {
  ...Object.fromEntries(Object.values(PARAMS).map((spec) => [spec.flag, { type: 'string' as const }])),
  help: { type: 'boolean', short: 'h' },
};

/** The one switch: `--profile` alone (last, or before another flag) means `--profile=true`. */
function expandSwitches(argv: string[]): string[] {
  return argv.map((arg, i) => (arg === '--profile' && (argv[i + 1] ?? '-').startsWith('-') ? '--profile=true' : arg));
}

/** The flags given, by parameter key; parseArgs' refusals reworded as before, with the usage. */
function readFlags(argv: string[]): Record<string, string> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: expandSwitches(argv), options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    const code = (err as { code?: string }).code;
    const named = /'([^']*)'/.exec((err as Error).message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
      throw new BenchParamError(`${named.split(' ')[0]} needs a value`);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      throw new BenchParamError(`unknown argument ${named}\n${usage()}`);
    throw err;
  }
  if (values.help) throw new BenchParamError(usage());
  const out: Record<string, string> = {};
  for (const [key, spec] of Object.entries(PARAMS)) {
    const value = values[spec.flag];
    if (typeof value === 'string') out[key] = value;
  }
  return out;
}

export function parseParams(argv: string[], env: NodeJS.ProcessEnv): BenchParams {
  const flags = readFlags(argv);
  const raw: Record<string, string> = {};
  for (const [key, spec] of Object.entries(PARAMS)) raw[key] = flags[key] ?? env[spec.env] ?? spec.default;
  const int = (key: string, min: number) => {
    const n = Number(raw[key]);
    if (!Number.isInteger(n) || n < min)
      throw new BenchParamError(`${PARAMS[key]!.env}=${raw[key]} is not valid: expected an integer >= ${min}`);
    return n;
  };
  const scenarios = new Set(
    raw
      .scenarios!.split(',')
      .map((s) => s.trim())
      .filter(Boolean) as Scenario[],
  );
  for (const s of scenarios) {
    if (!SCENARIOS.includes(s))
      throw new BenchParamError(
        `BENCH_SCENARIOS=${raw.scenarios} is not valid: expected some of ${SCENARIOS.join(',')}`,
      );
  }
  const clients = clientsOf(raw.clients!);
  // Every worker runs the reference client unless a variant says otherwise.
  const given = parseAssignments('BENCH_WORKER_ENV', raw.workerEnv!);
  if ('KAFKA_CLIENT' in given)
    throw new BenchParamError('BENCH_WORKER_ENV: choose the Kafka client with BENCH_CLIENTS');
  const workerEnv = { ...given, KAFKA_CLIENT: clients[0]! };
  return {
    messages: int('messages', 1),
    partitions: int('partitions', 1),
    messageBytes: int('messageBytes', 64),
    padding: paddingOf(raw.padding!),
    repeats: int('repeats', 1),
    steadyRate: int('steadyRate', 1),
    steadySeconds: int('steadySeconds', 1),
    idleSeconds: int('idleSeconds', 1),
    scenarios,
    workerEnv,
    variants: withClientVariants(parseVariants(raw.variants!), clients),
    clients,
    sinks: sinksOf(raw.sink!),
    profile: /^(1|true|yes)$/i.test(raw.profile!),
    drainTimeoutSeconds: int('drainTimeoutSeconds', 1),
    outDir: raw.outDir!,
  };
}

function sinksOf(text: string): SinkKind[] {
  const sinks = Object.hasOwn(SINK_CHOICES, text) ? SINK_CHOICES[text] : undefined;
  if (!sinks) throw new BenchParamError(`BENCH_SINK=${text} is not valid: expected sqlite, postgres or both`);
  return sinks;
}

function clientsOf(text: string): KafkaClientName[] {
  const clients = [...new Set(text.split(',').map((c) => c.trim()))].filter(Boolean);
  const known: readonly string[] = KAFKA_CLIENTS;
  if (clients.length === 0 || clients.some((c) => !known.includes(c)))
    throw new BenchParamError(`BENCH_CLIENTS=${text} is not valid: expected some of ${KAFKA_CLIENTS.join(',')}`);
  return clients as KafkaClientName[];
}

/** The first variant again on each client but the reference, named client-<name>. */
function withClientVariants(variants: Variant[], clients: KafkaClientName[]): Variant[] {
  const extra = clients.slice(1).map((client) => ({
    name: `client-${client}`,
    env: { ...variants[0]!.env, KAFKA_CLIENT: client },
  }));
  const all = [...variants, ...extra];
  if (new Set(all.map((v) => v.name)).size !== all.length)
    throw new BenchParamError('BENCH_VARIANTS: names must differ from the client variants (client-<name>)');
  return all;
}

function paddingOf(text: string): Padding {
  if (text !== 'words' && text !== 'repeat')
    throw new BenchParamError(`BENCH_PADDING=${text} is not valid: expected words or repeat`);
  return text;
}

function parseAssignments(variable: string, text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new BenchParamError(`${variable}: "${part}" is not KEY=VALUE`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

function parseVariants(text: string): Variant[] {
  const variants = text
    .split(';')
    .map((v) => v.trim())
    .filter(Boolean)
    .map((v) => {
      const colon = v.indexOf(':');
      const name = colon < 0 ? v : v.slice(0, colon);
      return { name, env: colon < 0 ? {} : parseAssignments('BENCH_VARIANTS', v.slice(colon + 1)) };
    });
  if (variants.length === 0) throw new BenchParamError('BENCH_VARIANTS is empty');
  if (variants.some((v) => v.name.includes('@')))
    throw new BenchParamError('BENCH_VARIANTS: names must not contain "@" (it marks a drain into PostgreSQL)');
  if (new Set(variants.map((v) => v.name)).size !== variants.length)
    throw new BenchParamError('BENCH_VARIANTS: names must differ');
  return variants;
}

export function usage(): string {
  const lines = Object.values(PARAMS).map(
    (s) => `  --${s.flag.padEnd(15)} ${s.env.padEnd(20)} ${s.help} (default ${s.default || '""'})`,
  );
  return `usage: npm run bench -- [flags]\n${lines.join('\n')}`;
}
