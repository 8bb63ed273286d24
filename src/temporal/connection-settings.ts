// Where and how to reach Temporal, by Temporal's own environment-configuration conventions:
// @temporalio/envconfig reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
// TEMPORAL_TLS*, TEMPORAL_PROFILE and the TOML config file (TEMPORAL_CONFIG_FILE, else
// ~/.config/temporalio/temporal.toml), environment over file, exactly as the Temporal CLI and the
// other SDKs do. Resolved once at startup by loadConfig; what envconfig leaves loose (a missing
// file read later, a certificate without its key, an unknown profile) is checked here and stops the
// program with a ConfigError naming the variable.
//
// Neighbours: src/config.ts declares the settings (for the README) and calls
// resolveTemporalConnection; src/workers/connect.ts connects with the result.

import { readFileSync } from 'node:fs';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { ConfigError } from '../config-error';
import { boolean } from '../config-schema';
import { Secret } from '../secret';
import { secretFrom } from '../kafka/security';

const DEFAULT_ADDRESS = '127.0.0.1:7233';
const DEFAULT_NAMESPACE = 'default';

/** What a Temporal Connection or NativeConnection needs, secrets wrapped. */
export interface TemporalConnection {
  address: string;
  namespace: string;
  /** TLS settings; undefined means plaintext. An API key turns TLS on, as in the conventions. */
  tls?: TLSConfig;
  apiKey?: Secret;
  /** gRPC metadata from the profile or TEMPORAL_GRPC_META_*. */
  metadata?: Record<string, string>;
  /** Where it came from, for the startup summary: "environment" or "profile <name> of <file>". */
  source: string;
}

const PATH_VARIABLES = [
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
] as const;

export function resolveTemporalConnection(env: NodeJS.ProcessEnv): TemporalConnection {
  // An empty variable means "not set" here, as everywhere in our settings; envconfig would take it
  // as a value (an empty address over the profile's, TEMPORAL_TLS= as false).
  const vars = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1].trim() !== ''),
  );
  // envconfig reads only 1 and true; take every spelling our other switches take.
  if (vars.TEMPORAL_TLS !== undefined) vars.TEMPORAL_TLS = String(parseSwitch(vars.TEMPORAL_TLS));
  // envconfig reads these files when it builds the TLS options; check them first so the error
  // names the variable, not just a path.
  for (const variable of PATH_VARIABLES) {
    const path = vars[variable]?.trim();
    if (!path) continue;
    try {
      readFileSync(path);
    } catch (err) {
      throw new ConfigError(variable, path, `a readable PEM file (${(err as NodeJS.ErrnoException).code})`);
    }
  }
  const certGiven = Boolean(vars.TEMPORAL_TLS_CLIENT_CERT_PATH || vars.TEMPORAL_TLS_CLIENT_CERT_DATA);
  const keyGiven = Boolean(vars.TEMPORAL_TLS_CLIENT_KEY_PATH || vars.TEMPORAL_TLS_CLIENT_KEY_DATA);
  if (certGiven !== keyGiven) {
    // envconfig would silently connect without a client certificate.
    const missing = certGiven ? 'TEMPORAL_TLS_CLIENT_KEY_PATH' : 'TEMPORAL_TLS_CLIENT_CERT_PATH';
    throw new ConfigError(missing, '', 'a file path: a client certificate and its key go together');
  }
  // Our addition to the conventions: the API key from a mounted secret file.
  const apiKeyFromFile = secretFrom(
    'TEMPORAL_API_KEY',
    secretOrUndefined(vars.TEMPORAL_API_KEY),
    vars.TEMPORAL_API_KEY_FILE ?? '',
  );
  if (apiKeyFromFile) vars.TEMPORAL_API_KEY = apiKeyFromFile.reveal();

  let loaded;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: vars });
  } catch (err) {
    const message = (err as Error).message;
    const variable = /Profile '/.test(message) ? 'TEMPORAL_PROFILE' : 'TEMPORAL_CONFIG_FILE';
    throw new ConfigError(variable, vars[variable] ?? '', `a readable TOML config with that profile: ${message}`);
  }
  const options = loaded.connectionOptions;
  const apiKey = typeof options.apiKey === 'string' && options.apiKey !== '' ? new Secret(options.apiKey) : undefined;
  const tls = options.tls === true ? {} : options.tls || undefined;
  return {
    address: options.address || DEFAULT_ADDRESS,
    namespace: loaded.namespace || DEFAULT_NAMESPACE,
    ...(tls ? { tls } : {}),
    ...(apiKey ? { apiKey } : {}),
    // envconfig fills metadata from text (the profile, TEMPORAL_GRPC_META_*): strings only.
    ...(options.metadata && Object.keys(options.metadata).length > 0
      ? { metadata: options.metadata as Record<string, string> }
      : {}),
    source: profileSource(vars),
  };
}

function parseSwitch(raw: string): boolean {
  try {
    return boolean(raw);
  } catch (err) {
    throw new ConfigError('TEMPORAL_TLS', raw, (err as Error).message);
  }
}

function secretOrUndefined(value: string | undefined): Secret | undefined {
  return value ? new Secret(value) : undefined;
}

function profileSource(vars: Record<string, string>): string {
  const file = vars.TEMPORAL_CONFIG_FILE;
  const profile = vars.TEMPORAL_PROFILE;
  if (!file && !profile) return 'environment (and the default config file, if any)';
  return `profile ${profile ?? 'default'} of ${file ?? 'the default config file'}, environment over it`;
}
