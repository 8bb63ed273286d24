// The Kafka security settings: checked together at startup, files read once, errors naming the
// variable and never showing a secret, and the kafkajs options they become.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { securityOptions } from '../../src/kafka/kafkajs/kafka';
import { makePki, type Pki } from '../pki';
import { configErrorOf as errorOf } from '../config-error-of';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki.remove());

const SCRAM = {
  KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
  KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
  KAFKA_SASL_USERNAME: 'alice',
  KAFKA_SASL_PASSWORD: 'pa55-word-value',
};

describe('Kafka security settings', () => {
  it('default to plaintext with neither TLS nor SASL', () => {
    const { kafkaSecurity } = loadConfig({});
    expect(kafkaSecurity).toEqual({ protocol: 'PLAINTEXT' });
    expect(securityOptions(kafkaSecurity)).toEqual({ ssl: undefined, sasl: undefined });
  });

  it('turn SASL_SSL with SCRAM into kafkajs TLS with the system CAs and scram credentials', () => {
    const options = securityOptions(loadConfig(SCRAM).kafkaSecurity);
    expect(options.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'alice', password: 'pa55-word-value' });
    expect(options.ssl).toMatchObject({ rejectUnauthorized: true, ca: undefined });
    expect(options.ssl).not.toHaveProperty('checkServerIdentity');
  });

  it('accept the lower-case spellings librdkafka accepts', () => {
    const config = loadConfig({
      ...SCRAM,
      KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext',
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
    });
    expect(config.kafkaSecurity.protocol).toBe('SASL_PLAINTEXT');
    expect(securityOptions(config.kafkaSecurity)).toMatchObject({
      ssl: undefined,
      sasl: { mechanism: 'scram-sha-256' },
    });
  });

  it('read a password from a file, without its trailing newline', () => {
    const file = join(pki.dir, 'password');
    writeFileSync(file, 'from-a-file\n');
    const { KAFKA_SASL_PASSWORD: _, ...rest } = SCRAM;
    const options = securityOptions(loadConfig({ ...rest, KAFKA_SASL_PASSWORD_FILE: file }).kafkaSecurity);
    expect(options.sasl).toMatchObject({ password: 'from-a-file' });
    expect(errorOf({ ...SCRAM, KAFKA_SASL_PASSWORD_FILE: file }).variable).toBe('KAFKA_SASL_PASSWORD_FILE');
  });

  it('read the CA file and the client certificate pair for mTLS, with a server name override', () => {
    const config = loadConfig({
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_SSL_CA_LOCATION: pki.caCert,
      KAFKA_SSL_CERTIFICATE_LOCATION: pki.clientCert,
      KAFKA_SSL_KEY_LOCATION: pki.encryptedClientKey,
      KAFKA_SSL_KEY_PASSWORD: pki.keyPassword,
      KAFKA_SSL_SERVER_NAME: 'broker.internal',
      KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM: 'none',
    });
    const ssl = securityOptions(config.kafkaSecurity).ssl as Record<string, unknown>;
    expect(ssl.ca).toContain('BEGIN CERTIFICATE');
    expect(ssl.cert).toContain('BEGIN CERTIFICATE');
    expect(ssl.key).toContain('ENCRYPTED PRIVATE KEY');
    expect(ssl.passphrase).toBe(pki.keyPassword);
    expect(ssl.servername).toBe('broker.internal');
    expect(typeof ssl.checkServerIdentity).toBe('function');
    expect(securityOptions(config.kafkaSecurity).sasl).toBeUndefined();
  });

  it.each([
    ['an unknown mechanism', { ...SCRAM, KAFKA_SASL_MECHANISM: 'GSSAPI' }, 'KAFKA_SASL_MECHANISM'],
    ['SASL without a mechanism', { ...SCRAM, KAFKA_SASL_MECHANISM: '' }, 'KAFKA_SASL_MECHANISM'],
    ['SASL without a user', { ...SCRAM, KAFKA_SASL_USERNAME: '' }, 'KAFKA_SASL_USERNAME'],
    ['SASL without a password', { ...SCRAM, KAFKA_SASL_PASSWORD: '' }, 'KAFKA_SASL_PASSWORD'],
    ['an unknown protocol', { KAFKA_SECURITY_PROTOCOL: 'TLS' }, 'KAFKA_SECURITY_PROTOCOL'],
    ['a SASL setting on a protocol without SASL', { KAFKA_SASL_USERNAME: 'alice' }, 'KAFKA_SASL_USERNAME'],
    ['a TLS setting on a protocol without TLS', { KAFKA_SSL_CA_LOCATION: '/ca.pem' }, 'KAFKA_SSL_CA_LOCATION'],
    [
      'a missing CA file',
      { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_LOCATION: '/nonexistent/ca.pem' },
      'KAFKA_SSL_CA_LOCATION',
    ],
    [
      'a missing password file',
      { ...SCRAM, KAFKA_SASL_PASSWORD: '', KAFKA_SASL_PASSWORD_FILE: '/nonexistent/pw' },
      'KAFKA_SASL_PASSWORD_FILE',
    ],
    [
      'a bad host name check',
      { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM: 'off' },
      'KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM',
    ],
  ])('stop at startup on %s, naming the variable', (_what, env, variable) => {
    const err = errorOf(env);
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(variable);
  });

  it('stop at startup on a certificate without its key, a key of another certificate or a wrong key password', () => {
    const ssl = { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_LOCATION: pki.caCert };
    expect(errorOf({ ...ssl, KAFKA_SSL_CERTIFICATE_LOCATION: pki.clientCert }).variable).toBe('KAFKA_SSL_KEY_LOCATION');
    expect(
      errorOf({ ...ssl, KAFKA_SSL_CERTIFICATE_LOCATION: pki.clientCert, KAFKA_SSL_KEY_LOCATION: pki.strayKey }).message,
    ).toContain('the private key of the certificate');
    expect(
      errorOf({
        ...ssl,
        KAFKA_SSL_CERTIFICATE_LOCATION: pki.clientCert,
        KAFKA_SSL_KEY_LOCATION: pki.encryptedClientKey,
      }).variable,
    ).toBe('KAFKA_SSL_KEY_LOCATION');
    const wrong = errorOf({
      ...ssl,
      KAFKA_SSL_CERTIFICATE_LOCATION: pki.clientCert,
      KAFKA_SSL_KEY_LOCATION: pki.encryptedClientKey,
      KAFKA_SSL_KEY_PASSWORD: 'not-the-key-password',
    });
    expect(wrong.variable).toBe('KAFKA_SSL_KEY_PASSWORD');
    expect(wrong.message).not.toContain('not-the-key-password');
    // A CA file that holds a key, not a certificate.
    expect(errorOf({ ...ssl, KAFKA_SSL_CA_LOCATION: pki.clientKey }).variable).toBe('KAFKA_SSL_CA_LOCATION');
  });

  it('never show a secret value in an error', () => {
    const err = errorOf({ KAFKA_SASL_PASSWORD: 'pa55-word-value' });
    expect(err.variable).toBe('KAFKA_SASL_PASSWORD');
    expect(err.message).not.toContain('pa55-word-value');
    expect(err.message).toContain('[redacted]');
  });

  it('keep secrets out of the config however it is printed', () => {
    const config = loadConfig(SCRAM);
    expect(JSON.stringify(config)).not.toContain('pa55-word-value');
    expect(String(config.kafkaSaslPassword)).toBe('[redacted]');
    // console.log and util.inspect go through the same custom inspection.
    expect(inspect(config, { depth: 5 })).not.toContain('pa55-word-value');
  });
});
