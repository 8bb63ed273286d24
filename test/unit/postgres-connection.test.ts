// The postgres sink's connection settings: DATABASE_URL, the libpq PG* variables for what it leaves
// out, the local server for what neither gives, TLS by sslmode, and the password kept out of errors.

import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { resolvePostgres } from '../../src/sink/postgres-connection';

describe('postgres connection settings', () => {
  it('connect to the local server of scripts/infra.sh when nothing is given', () => {
    const { options, description } = resolvePostgres('', {});
    expect(options).toMatchObject({ host: '127.0.0.1', port: 5433, user: 'microbatch', database: 'microbatch' });
    expect(options.ssl).toBe(false);
    expect(description).toBe('PostgreSQL at 127.0.0.1:5433/microbatch as microbatch');
  });

  it('take DATABASE_URL first and the PG* variables for what it leaves out', () => {
    const { options } = resolvePostgres('postgresql://app:p%40ss@db.example:6543/warehouse', {
      PGHOST: 'ignored',
      PGAPPNAME: 'loader',
      PGCONNECT_TIMEOUT: '3',
    });
    expect(options).toMatchObject({
      host: 'db.example',
      port: 6543,
      user: 'app',
      password: 'p@ss',
      database: 'warehouse',
      application_name: 'loader',
      connectionTimeoutMillis: 3000,
    });
    expect(
      resolvePostgres('', { PGHOST: 'h', PGPORT: '5432', PGUSER: 'u', PGPASSWORD: 'pw', PGDATABASE: 'd' }).options,
    ).toMatchObject({
      host: 'h',
      port: 5432,
      user: 'u',
      password: 'pw',
      database: 'd',
    });
  });

  it('map sslmode to TLS as libpq does', () => {
    const ca = join(mkdtempSync(join(tmpdir(), 'pg-ca-')), 'ca.pem');
    writeFileSync(ca, 'CERT');
    expect(resolvePostgres('postgres://h/d?sslmode=prefer', {}).options.ssl).toBe(false);
    expect(resolvePostgres('postgres://h/d?sslmode=require', {}).options.ssl).toMatchObject({
      rejectUnauthorized: false,
    });
    const verifyCa = resolvePostgres('', { PGSSLMODE: 'verify-ca', PGSSLROOTCERT: ca }).options.ssl as Record<
      string,
      unknown
    >;
    expect(verifyCa.ca).toBe('CERT');
    expect(verifyCa.rejectUnauthorized).toBeUndefined();
    expect(typeof verifyCa.checkServerIdentity).toBe('function');
    const full = resolvePostgres(`postgres://h/d?sslmode=verify-full&sslrootcert=${ca}`, {}).options.ssl as Record<
      string,
      unknown
    >;
    expect(full.ca).toBe('CERT');
    expect(full.checkServerIdentity).toBeUndefined();
  });

  it('stop the program at startup naming the variable, with the password hidden', () => {
    const bad = (env: Record<string, string>) => {
      try {
        loadConfig({ SINK: 'postgres', ...env });
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('expected a ConfigError');
    };
    const sslmode = bad({ DATABASE_URL: 'postgresql://u:hunter2@h/d?sslmode=sometimes' });
    expect(sslmode.variable).toBe('DATABASE_URL');
    expect(sslmode.message).toContain('verify-full');
    expect(sslmode.message).not.toContain('hunter2');
    expect(sslmode.message).toContain('u:***@h');
    expect(bad({ DATABASE_URL: 'mysql://u:hunter2@h/d' }).message).not.toContain('hunter2');
    expect(bad({ PGSSLMODE: 'sometimes' }).variable).toBe('PGSSLMODE');
    expect(bad({ PGPORT: 'abc' }).variable).toBe('PGPORT');
    expect(bad({ PGSSLMODE: 'verify-ca', PGSSLROOTCERT: '/no/such/file' }).variable).toBe('PGSSLROOTCERT');
    expect(bad({ POSTGRES_TABLE: 'Robert"; DROP' }).variable).toBe('POSTGRES_TABLE');
    expect(bad({ SINK_WRITE_MODE: 'upsert' }).variable).toBe('SINK_WRITE_MODE');
    // With the SQLite sink the PostgreSQL settings are not needed, so not checked.
    expect(loadConfig({ SINK: 'sqlite', PGSSLMODE: 'sometimes' }).postgres).toBeUndefined();
  });

  it('redact the password from any message', () => {
    const { redact } = resolvePostgres('postgresql://u:s%3Dcret@h/d', {});
    expect(redact('failed for s=cret and s%3Dcret')).toBe('failed for *** and ***');
  });
});
