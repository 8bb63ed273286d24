// Where the postgres sink connects, from the settings PostgreSQL users already have: DATABASE_URL
// (postgresql://user:password@host:port/database?sslmode=...), and for whatever it leaves out the
// libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT,
// PGSSLCERT, PGSSLKEY, PGAPPNAME, PGCONNECT_TIMEOUT, PGOPTIONS), as psql reads them; with neither,
// the local server scripts/infra.sh runs. Resolved once at startup (src/config.ts), so a bad value
// stops the program naming its variable. The password is kept out of every text this module makes.
//
// Neighbours: postgres-sink.ts uses the options; postgres-errors.ts classifies what the server says.

import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { ClientConfig } from 'pg';

/** The local server of scripts/infra/postgres.sh: its superuser is trusted on loopback, no password. */
export const LOCAL_POSTGRES = { host: '127.0.0.1', port: '5433', user: 'microbatch', database: 'microbatch' };

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface PostgresTarget {
  /** pg's connection options, password included: never log or serialise this object. */
  options: ClientConfig;
  /** Where it connects, for messages: `PostgreSQL at host:port/database as user`, no password. */
  description: string;
  /** Removes the password (as given and URL-encoded) from a text that may quote it. */
  redact(text: string): string;
}

/** A connection setting that cannot be used; `variable` names it for the startup error. */
export class PostgresSettingError extends Error {
  constructor(
    readonly variable: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(`${variable}=${JSON.stringify(value)} is not valid: expected ${expected}`);
  }
}

/** libpq's parameters we honour, with the variable that supplies each when the URL does not. */
const PARAMETERS = {
  host: 'PGHOST',
  port: 'PGPORT',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  dbname: 'PGDATABASE',
  sslmode: 'PGSSLMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  application_name: 'PGAPPNAME',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  options: 'PGOPTIONS',
} as const;
type Parameter = keyof typeof PARAMETERS;

/** Resolves DATABASE_URL (may be empty) and the PG* variables of `env` into pg's options. */
export function resolvePostgres(databaseUrl: string, env: NodeJS.ProcessEnv): PostgresTarget {
  const fromUrl = parseUrl(databaseUrl);
  const given = (p: Parameter) => fromUrl.values[p] ?? nonEmpty(env[PARAMETERS[p]]);
  // Which variable a value came from, so an error names the one to fix.
  const source = (p: Parameter) => (fromUrl.values[p] !== undefined ? 'DATABASE_URL' : PARAMETERS[p]);

  const host = given('host') ?? LOCAL_POSTGRES.host;
  const portText = given('port') ?? LOCAL_POSTGRES.port;
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65_535) {
    throw new PostgresSettingError(source('port'), shown(source('port'), portText), 'a port number from 1 to 65535');
  }
  const user = given('user') ?? LOCAL_POSTGRES.user;
  const database = given('dbname') ?? LOCAL_POSTGRES.database;
  const password = given('password');
  const timeoutText = given('connect_timeout') ?? '10';
  if (!/^\d+$/.test(timeoutText)) {
    throw new PostgresSettingError(
      source('connect_timeout'),
      shown(source('connect_timeout'), timeoutText),
      'whole seconds',
    );
  }
  const ssl = sslOptions(given, source, shown);

  const secrets = password ? [password, encodeURIComponent(password)] : [];
  const redact = (text: string) => secrets.reduce((t, s) => t.split(s).join('***'), text);
  function shown(variable: string, value: string) {
    return variable === 'DATABASE_URL' ? redactUrl(databaseUrl) : value;
  }

  return {
    options: {
      host,
      port,
      user,
      database,
      password,
      ssl,
      application_name: given('application_name') ?? 'microbatch',
      // 0 means "wait forever" to libpq; a worker would rather hear that the server is away.
      connectionTimeoutMillis: (Number(timeoutText) || 10) * 1000,
      options: given('options'),
    },
    description: `PostgreSQL at ${host}:${port}/${database} as ${user}`,
    redact,
  };
}

/**
 * TLS by libpq's sslmode. pg cannot try TLS and fall back as libpq does, so `allow` and `prefer`
 * connect without TLS (ask for `require` or stronger to have it); `require` encrypts without
 * checking the certificate unless a root certificate is given (then as verify-ca, as libpq does);
 * `verify-ca` checks the chain; `verify-full` the chain and the host name.
 */
function sslOptions(
  given: (p: Parameter) => string | undefined,
  source: (p: Parameter) => string,
  shown: (variable: string, value: string) => string,
): ConnectionOptions | false {
  const mode = (given('sslmode') ?? 'disable') as SslMode;
  if (!SSL_MODES.includes(mode)) {
    throw new PostgresSettingError(source('sslmode'), shown(source('sslmode'), mode), `one of ${SSL_MODES.join(', ')}`);
  }
  if (mode === 'disable' || mode === 'allow' || mode === 'prefer') return false;
  const file = (p: 'sslrootcert' | 'sslcert' | 'sslkey') => {
    const path = given(p);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new PostgresSettingError(source(p), shown(source(p), path), `a readable file (${(err as Error).message})`);
    }
  };
  const ca = file('sslrootcert');
  const tls: ConnectionOptions = { ca, cert: file('sslcert'), key: file('sslkey') };
  if (mode === 'require' && ca === undefined) return { ...tls, rejectUnauthorized: false };
  // verify-ca (or require with a root certificate): the chain, not the name.
  if (mode !== 'verify-full') return { ...tls, checkServerIdentity: () => undefined };
  return tls;
}

/** libpq parameters a URL gives: user, password, host, port, database, and query parameters. */
function parseUrl(databaseUrl: string): { values: Partial<Record<Parameter, string>> } {
  const values: Partial<Record<Parameter, string>> = {};
  if (databaseUrl.trim() === '') return { values };
  const expected = 'a URL such as postgresql://user:password@host:5432/database?sslmode=require';
  let url: URL;
  try {
    url = new URL(databaseUrl.trim());
  } catch {
    throw new PostgresSettingError('DATABASE_URL', redactUrl(databaseUrl), expected);
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new PostgresSettingError('DATABASE_URL', redactUrl(databaseUrl), expected);
  }
  const decoded = (s: string) => (s === '' ? undefined : decodeURIComponent(s));
  values.user = decoded(url.username);
  values.password = decoded(url.password);
  values.host = decoded(url.hostname.replace(/^\[(.*)\]$/, '$1'));
  values.port = decoded(url.port);
  values.dbname = decoded(url.pathname.replace(/^\//, ''));
  for (const [name, value] of url.searchParams) {
    const p = name === 'dbname' ? 'dbname' : (name as Parameter);
    if (!(p in PARAMETERS)) {
      throw new PostgresSettingError(
        'DATABASE_URL',
        redactUrl(databaseUrl),
        `only the parameters ${Object.keys(PARAMETERS).join(', ')} (got ${name})`,
      );
    }
    values[p] = value;
  }
  return { values };
}

/** The URL with its password replaced by ***, for messages. */
export function redactUrl(databaseUrl: string): string {
  return databaseUrl.replace(/^(\w+:\/\/[^:@/]*:)[^@/]*@/, '$1***@').replace(/([?&]password=)[^&]*/, '$1***');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
