// The secure endpoints' settings as environments for a test's config and its child processes:
// SASL_SSL with SCRAM (the KAFKA_* lines of `infra.sh up secure`) or mTLS (its MTLS_KAFKA_* lines),
// and a way to run the project's commands (`npm run worker`, `producer`, `lag`, ...) against them.

import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, inject } from 'vitest';

const root = resolve(__dirname, '../..');

export type SecureVariant = 'sasl' | 'mtls';

/** Only the Kafka settings of one variant (no test-specific names). */
export function secureKafkaEnv(variant: SecureVariant): Record<string, string> {
  const s = inject('secureSettings');
  // The Kafka client under test (`npm test` runs this project once per client).
  const client: Record<string, string> = process.env.KAFKA_CLIENT ? { KAFKA_CLIENT: process.env.KAFKA_CLIENT } : {};
  if (variant === 'sasl') {
    const names = Object.keys(s).filter((k) => k.startsWith('KAFKA_'));
    return { ...Object.fromEntries(names.map((k) => [k, s[k]!])), ...client };
  }
  const names = Object.keys(s).filter((k) => k.startsWith('MTLS_KAFKA_'));
  return { ...Object.fromEntries(names.map((k) => [k.slice('MTLS_'.length), s[k]!])), ...client };
}

export type TemporalVariant = 'mtls' | 'apikey';

/** The Temporal settings of the TLS front: mTLS (TEMPORAL_* lines) or an API key (APIKEY_*). */
export function secureTemporalEnv(variant: TemporalVariant): Record<string, string> {
  const s = inject('secureSettings');
  const prefix = variant === 'mtls' ? 'TEMPORAL_' : 'APIKEY_TEMPORAL_';
  const names = Object.keys(s).filter((k) => k.startsWith(prefix));
  return Object.fromEntries(names.map((k) => [k.slice(prefix.length - 'TEMPORAL_'.length), s[k]!]));
}

export function otherCa(): string {
  return inject('secureSettings').SECURE_OTHER_CA!;
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one of the project's entry points (a path under the repository, e.g. scripts/lag.ts) with
 * `env` over a clean environment: nothing of the test runner's own settings leaks in.
 */
export function runCommand(
  script: string,
  args: string[],
  env: Record<string, string>,
  options: { timeoutMs?: number; until?: (output: string) => boolean } = {},
): Promise<CommandResult> {
  return new Promise((resolveResult, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: root,
      // No metrics endpoints: a worker of another test or a user on this machine may hold the
      // default ports, and these tests are about what the command says at startup.
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOG_LEVEL: 'info',
        METRICS_PORT: '0',
        TEMPORAL_METRICS_PORT: '0',
        // The Kafka client under test (`npm test` runs this project once per client).
        ...(process.env.KAFKA_CLIENT ? { KAFKA_CLIENT: process.env.KAFKA_CLIENT } : {}),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const check = () => {
      if (options.until?.(stdout + stderr)) child.kill('SIGTERM');
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      check();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      check();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveResult({ code, stdout, stderr });
    });
  });
}

export interface RunningCommand {
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** SIGTERM, then its exit code once it has stopped. */
  stop(): Promise<number | null>;
}

/** Starts a long-running entry point (the worker) with `env` over a clean environment. */
export function startCommand(script: string, env: Record<string, string>): RunningCommand {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return {
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A run of a command expected to stop at startup on a refused setting. */
export interface Refusal {
  code: number | null;
  /** Its stderr, line by line. */
  lines: string[];
  seconds: number;
}

export async function runRefused(script: string, args: string[], env: Record<string, string>): Promise<Refusal> {
  const started = Date.now();
  const result = await runCommand(script, args, env, { timeoutMs: 60_000 });
  return { code: result.code, lines: result.stderr.trim().split('\n'), seconds: (Date.now() - started) / 1000 };
}

/** What a refused setting must give: one line naming it and what the server said, exit code 2, soon. */
export function expectRefusedAtStartup({ code, lines, seconds }: Refusal, variable: string, said: string): void {
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^configuration error: /);
  expect(lines[0]).toContain(variable);
  expect(lines[0]).toContain(said);
  expect(code).toBe(2);
  expect(seconds).toBeLessThan(30);
}
