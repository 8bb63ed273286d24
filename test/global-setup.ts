// Starts the real Kafka broker, Temporal server and PostgreSQL before the integration tests (or
// reuses them when they already run: `scripts/infra.sh up` is idempotent), and tells the tests
// where the `temporal` binary and the time-skipping test server are (`paths` installs the latter on
// first use), so TestWorkflowEnvironment never downloads one, and the PostgreSQL server's URL
// (tests make a database of their own on it: test/postgres.ts).

import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

const infra = resolve(__dirname, '../scripts/infra.sh');

export default function setup(project: TestProject): void {
  execFileSync('bash', [infra, 'up'], { stdio: 'inherit' });
  const paths = execFileSync('bash', [infra, 'paths'], { encoding: 'utf8' });
  const temporalBin = /^TEMPORAL_BIN=(.*)$/m.exec(paths)?.[1];
  if (!temporalBin) throw new Error(`scripts/infra.sh paths did not name TEMPORAL_BIN:\n${paths}`);
  project.provide('temporalBin', temporalBin);
  // Absent when Java or Maven is missing (`paths` warned): only the time-skipping tests fail then.
  project.provide('temporalTestServerBin', /^TEMPORAL_TEST_SERVER_BIN=(.*)$/m.exec(paths)?.[1] ?? '');
  project.provide('databaseUrl', /^DATABASE_URL=(.*)$/m.exec(paths)?.[1] ?? '');
}

declare module 'vitest' {
  export interface ProvidedContext {
    temporalBin: string;
    /** The time-skipping test server executable (see test/time-skipping.ts); empty if not installed. */
    temporalTestServerBin: string;
    /** The shared PostgreSQL server's superuser URL (no password: trusted on loopback). */
    databaseUrl: string;
  }
}
