// The fault tests' own Kafka broker and Temporal server: a second pair beside the one the other
// tests (and other people) use, kept in .data/faults on other ports, so a test may stop and restart
// a server without disturbing anyone. Everything goes through scripts/infra.sh, which keys every
// PID it matches on the pair's data folder.
//
// Neighbours: global-setup.ts brings the pair up and down; harness.ts and processes.ts use it.

import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const repoRoot = resolve(__dirname, '../..');
const infraScript = resolve(repoRoot, 'scripts/infra.sh');

/** Where the pair keeps data, logs and PID files; the tests' worker logs and sinks go here too. */
export const faultDataDir = resolve(repoRoot, '.data/faults');

const ports = { kafka: 19092, kafkaController: 19093, temporal: 17233, temporalUi: 18233, postgres: 15433 };

export const faultServers = {
  kafkaBrokers: `127.0.0.1:${ports.kafka}`,
  temporalAddress: `127.0.0.1:${ports.temporal}`,
};

/** The environment that points scripts/infra.sh at the second pair. */
export const infraEnv: NodeJS.ProcessEnv = {
  ...process.env,
  INFRA_DATA_DIR: faultDataDir,
  KAFKA_PORT: String(ports.kafka),
  KAFKA_CONTROLLER_PORT: String(ports.kafkaController),
  TEMPORAL_PORT: String(ports.temporal),
  TEMPORAL_UI_PORT: String(ports.temporalUi),
  POSTGRES_PORT: String(ports.postgres),
};

/** Runs infra.sh synchronously with its output on the terminal (global setup and teardown). */
export function infraSync(...args: string[]): void {
  execFileSync('bash', [infraScript, ...args], { env: infraEnv, stdio: 'inherit' });
}

export type ServerName = 'kafka' | 'temporal';

/** Stops one server of the pair (SIGTERM, SIGKILL after 20 s); its data is kept. */
export async function stopServer(server: ServerName): Promise<void> {
  await infra('stop', server);
}

/**
 * Kills one server of the pair with SIGKILL (a crash: no controlled shutdown, connections cut);
 * startServer() brings it back on its kept data.
 */
export function killServer(server: ServerName): void {
  const pid = Number(readFileSync(join(faultDataDir, 'run', `${server}.pid`), 'utf8').trim());
  process.kill(pid, 'SIGKILL');
}

/** Starts one server of the pair on its kept data and waits until it answers. */
export async function startServer(server: ServerName): Promise<void> {
  await infra('start', server);
}

async function infra(...args: string[]): Promise<void> {
  try {
    await promisify(execFile)('bash', [infraScript, ...args], { env: infraEnv, timeout: 180_000 });
  } catch (err) {
    const { stderr } = err as { stderr?: string };
    throw new Error(`scripts/infra.sh ${args.join(' ')} failed:\n${stderr ?? String(err)}`);
  }
}
