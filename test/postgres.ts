// PostgreSQL for integration tests: the shared server the global setup started (its superuser URL
// comes through `inject`), and a database of its own for each test, dropped afterwards. The fault
// tests pass their own server's URL (test/faults/servers.ts).

import pg from 'pg';
import { inject } from 'vitest';
import { uniqueName } from './helpers';

export interface TestDatabase {
  /** Superuser URL of the test's own database (no password: trusted on loopback). */
  url: string;
  name: string;
  /** Runs SQL in the test's database as the superuser. */
  sql(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  drop(): Promise<void>;
}

export function serverUrl(): string {
  const url = inject('databaseUrl');
  if (!url) throw new Error('the global setup found no PostgreSQL (scripts/infra.sh paths printed no DATABASE_URL)');
  return url;
}

export async function createTestDatabase(server = serverUrl()): Promise<TestDatabase> {
  const name = uniqueName('t').replace(/-/g, '_');
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(server);
  url.pathname = `/${name}`;
  const own = new pg.Client({ connectionString: url.toString() });
  // A server restarted under a test ends this session; without a listener that would crash the run.
  own.on('error', () => undefined);
  await own.connect();
  return {
    url: url.toString(),
    name,
    sql: (text, values) => own.query(text, values),
    async drop() {
      await own.end().catch(() => undefined);
      const again = new pg.Client({ connectionString: server });
      await again.connect();
      try {
        await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await again.end();
      }
    },
  };
}
