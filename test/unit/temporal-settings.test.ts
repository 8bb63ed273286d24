// Temporal connection settings follow Temporal's environment-configuration conventions: a TOML
// profile, the environment over it, TLS on with an API key, and errors naming the variable.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { temporalConnectionOptions } from '../../src/workers/connect';
import { configErrorOf as errorOf } from '../config-error-of';

const dir = mkdtempSync(join(tmpdir(), 'microbatch-envconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const toml = join(dir, 'temporal.toml');
writeFileSync(
  toml,
  [
    '[profile.default]',
    'address = "from-default:7233"',
    '[profile.cloud]',
    'address = "ns.acct.tmprl.cloud:7233"',
    'namespace = "ns.acct"',
    'api_key = "key-from-profile"',
  ].join('\n'),
);

describe('Temporal connection settings', () => {
  it('default to the local dev server in plaintext', () => {
    const { temporal } = loadConfig({});
    expect(temporal).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default' });
    expect(temporal.tls).toBeUndefined();
    expect(temporal.apiKey).toBeUndefined();
  });

  it('read a profile of the TOML config file, with TLS on because of its API key', () => {
    const config = loadConfig({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'cloud' });
    expect(config.temporalAddress).toBe('ns.acct.tmprl.cloud:7233');
    expect(config.temporalNamespace).toBe('ns.acct');
    expect(temporalConnectionOptions(config.temporal)).toMatchObject({ apiKey: 'key-from-profile', tls: {} });
    expect(JSON.stringify(config)).not.toContain('key-from-profile');
  });

  it('let the environment win over the profile, and ignore empty variables', () => {
    const config = loadConfig({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_ADDRESS: 'other:7233', TEMPORAL_NAMESPACE: '' });
    expect(config.temporalAddress).toBe('other:7233');
    expect(config.temporalNamespace).toBe('default');
  });

  it('take the API key from a file, and TEMPORAL_TLS=false turns TLS off', () => {
    const keyFile = join(dir, 'key');
    writeFileSync(keyFile, 'key-from-file\n');
    const options = temporalConnectionOptions(loadConfig({ TEMPORAL_API_KEY_FILE: keyFile }).temporal);
    expect(options).toMatchObject({ apiKey: 'key-from-file', tls: {} });
    expect(loadConfig({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }).temporal.tls).toBeUndefined();
  });

  it.each([
    [{ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'nope' }, 'TEMPORAL_PROFILE'],
    [{ TEMPORAL_TLS_CLIENT_CERT_PATH: toml }, 'TEMPORAL_TLS_CLIENT_KEY_PATH'],
    [{ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/nonexistent/ca.pem' }, 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'],
    [{ TEMPORAL_TLS: 'maybe' }, 'TEMPORAL_TLS'],
  ])('stop at startup on %j, naming %s', (env, variable) => {
    expect(errorOf(env).variable).toBe(variable);
  });

  it('never show the API key in an error', () => {
    const err = errorOf({ TEMPORAL_API_KEY: 'the-key-value', TEMPORAL_API_KEY_FILE: toml });
    expect(err.message).not.toContain('the-key-value');
  });
});
