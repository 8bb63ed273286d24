// The fault tests' own Kafka broker, Temporal server and PostgreSQL: a second set beside the one the
// other tests (and other people) use, kept in .data/faults on other ports, so a test may stop, kill
// and restart a server without disturbing anyone. Everything goes through scripts/infra.sh, which keys every
// PID it matches on the pair's data folder.
//
// Neighbours: global-setup.ts brings the pair up and down; harness.ts and processes.ts use it.

import { execFile, execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { runInfraScript } from '../infra-teardown';

export const repoRoot = resolve(__dirname, '../..');
const infraScript = resolve(repoRoot, 'scripts/infra.sh');

/** Where the pair keeps data, logs and PID files; the tests' worker logs and sinks go here too. */
export const faultDataDir = resolve(repoRoot, '.data/faults');

const ports = { kafka: 19092, kafkaController: 19093, temporal: 17233, temporalUi: 18233, postgres: 15433 };

export const faultServers = {
  kafkaBrokers: `127.0.0.1:${ports.kafka}`,
  temporalAddress: `127.0.0.1:${ports.temporal}`,
  /** The superuser's URL (trusted on loopback, no password); each test makes a database of its own. */
  databaseUrl: `postgresql://microbatch@127.0.0.1:${ports.postgres}/microbatch`,
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

/** Runs infra.sh synchronously with its output on the terminal (global setup). */
export function infraSync(...args: string[]): void {
  execFileSync('bash', [infraScript, ...args], { env: infraEnv, stdio: 'inherit' });
}

/** The same without blocking the event loop (global teardown: see ../infra-teardown.ts). */
export function infraInTeardown(...args: string[]): Promise<void> {
  return runInfraScript(infraScript, args, infraEnv);
}

export type ServerName = 'kafka' | 'temporal' | 'postgres';

/**
 * Stops one server of the pair (SIGTERM, SIGKILL after 20 s; PostgreSQL: a fast shutdown, which
 * ends open sessions as a database restart does); its data is kept.
 */
export async function stopServer(server: ServerName): Promise<void> {
  await infra('stop', server);
}

/**
 * Kills one server of the pair with SIGKILL, its whole process group (a crash: no controlled
 * shutdown, connections cut; a PostgreSQL's backends die with it); startServer() brings it back on
 * its kept data (PostgreSQL through crash recovery).
 */
export async function killServer(server: ServerName): Promise<void> {
  await infra('kill', server);
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
