// Kafka connection security: the KAFKA_SECURITY_PROTOCOL / KAFKA_SASL_* / KAFKA_SSL_* settings
// (named after librdkafka's and the Java client's security.protocol, sasl.mechanism, ssl.ca.location
// ...) checked together and turned into what every Kafka client of the project needs: TLS material
// read from its files, SASL credentials. Done once at startup by loadConfig, so a missing file, a
// key that does not open with its password or a SASL setting on a plaintext protocol stops the
// program before anything connects, naming the variable.
//
// Neighbours: src/config.ts declares the settings and calls resolveKafkaSecurity;
// src/kafka/client.ts hands the result to kafkajs; src/kafka/refusal.ts explains a broker's refusal.

import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import { ConfigError } from '../config-error';
import { Secret } from '../secret';

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** The settings as parsed one by one (src/config.ts), before they are checked together. */
export interface KafkaSecuritySettings {
  kafkaSecurityProtocol: SecurityProtocol;
  kafkaSaslMechanism: SaslMechanism | undefined;
  kafkaSaslUsername: string;
  kafkaSaslPassword: Secret | undefined;
  kafkaSaslPasswordFile: string;
  kafkaSslCaLocation: string;
  kafkaSslCertificateLocation: string;
  kafkaSslKeyLocation: string;
  kafkaSslKeyPassword: Secret | undefined;
  kafkaSslKeyPasswordFile: string;
  kafkaSslEndpointIdentificationAlgorithm: 'https' | 'none';
  kafkaSslServerName: string;
}

/** Everything a Kafka client needs to connect securely; files already read. */
export interface KafkaSecurity {
  protocol: SecurityProtocol;
  /** Present for SSL and SASL_SSL. */
  tls?: {
    /** PEM CA certificates trusted instead of the system's; undefined means the system CAs. */
    ca?: string;
    /** PEM client certificate chain and key, for brokers that require client certificates. */
    cert?: string;
    key?: string;
    keyPassword?: Secret;
    /** Name sent in SNI and checked against the broker's certificate instead of its host name. */
    serverName?: string;
    /** False when KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM=none: the chain is still checked. */
    verifyHostname: boolean;
  };
  /** Present for SASL_PLAINTEXT and SASL_SSL. */
  sasl?: { mechanism: SaslMechanism; username: string; password: Secret };
}

export const PLAINTEXT: KafkaSecurity = { protocol: 'PLAINTEXT' };

/** Parser for KAFKA_SECURITY_PROTOCOL: librdkafka accepts any case, so do we. */
export function securityProtocol(raw: string): SecurityProtocol {
  const value = raw.trim().toUpperCase();
  if (!(SECURITY_PROTOCOLS as readonly string[]).includes(value)) {
    throw new Error(`one of ${SECURITY_PROTOCOLS.join(', ')}`);
  }
  return value as SecurityProtocol;
}

/** Parser for KAFKA_SASL_MECHANISM: empty (no SASL) or one of the mechanisms kafkajs speaks. */
export function saslMechanism(raw: string): SaslMechanism | undefined {
  const value = raw.trim().toUpperCase();
  if (value === '') return undefined;
  if (!(SASL_MECHANISMS as readonly string[]).includes(value)) {
    // GSSAPI (Kerberos) and OAUTHBEARER need code of their own; say so rather than fail later.
    throw new Error(`one of ${SASL_MECHANISMS.join(', ')} (GSSAPI and OAUTHBEARER are not supported)`);
  }
  return value as SaslMechanism;
}

/** Checks the security settings together and reads their files. Throws ConfigError. */
export function resolveKafkaSecurity(s: KafkaSecuritySettings): KafkaSecurity {
  const usesTls = s.kafkaSecurityProtocol === 'SSL' || s.kafkaSecurityProtocol === 'SASL_SSL';
  const usesSasl = s.kafkaSecurityProtocol === 'SASL_PLAINTEXT' || s.kafkaSecurityProtocol === 'SASL_SSL';
  const protocolIs = `KAFKA_SECURITY_PROTOCOL=${s.kafkaSecurityProtocol}`;
  // A setting that the protocol ignores is a mistake in waiting (the user believes the connection
  // is encrypted or authenticated): refuse it instead of ignoring it.
  if (!usesSasl) {
    refuseIgnored(
      {
        KAFKA_SASL_MECHANISM: s.kafkaSaslMechanism,
        KAFKA_SASL_USERNAME: s.kafkaSaslUsername,
        KAFKA_SASL_PASSWORD: s.kafkaSaslPassword,
        KAFKA_SASL_PASSWORD_FILE: s.kafkaSaslPasswordFile,
      },
      `no SASL setting with ${protocolIs} (use SASL_SSL or SASL_PLAINTEXT)`,
    );
  }
  if (!usesTls) {
    refuseIgnored(
      {
        KAFKA_SSL_CA_LOCATION: s.kafkaSslCaLocation,
        KAFKA_SSL_CERTIFICATE_LOCATION: s.kafkaSslCertificateLocation,
        KAFKA_SSL_KEY_LOCATION: s.kafkaSslKeyLocation,
        KAFKA_SSL_KEY_PASSWORD: s.kafkaSslKeyPassword,
        KAFKA_SSL_KEY_PASSWORD_FILE: s.kafkaSslKeyPasswordFile,
        KAFKA_SSL_SERVER_NAME: s.kafkaSslServerName,
      },
      `no TLS setting with ${protocolIs} (use SSL or SASL_SSL)`,
    );
  }
  return {
    protocol: s.kafkaSecurityProtocol,
    ...(usesTls ? { tls: resolveTls(s) } : {}),
    ...(usesSasl ? { sasl: resolveSasl(s, protocolIs) } : {}),
  };
}

function resolveSasl(s: KafkaSecuritySettings, protocolIs: string): NonNullable<KafkaSecurity['sasl']> {
  if (!s.kafkaSaslMechanism) {
    throw new ConfigError('KAFKA_SASL_MECHANISM', '', `one of ${SASL_MECHANISMS.join(', ')} with ${protocolIs}`);
  }
  if (!s.kafkaSaslUsername) throw new ConfigError('KAFKA_SASL_USERNAME', '', `a user name with ${protocolIs}`);
  const password = secretFrom('KAFKA_SASL_PASSWORD', s.kafkaSaslPassword, s.kafkaSaslPasswordFile);
  if (!password) {
    throw new ConfigError('KAFKA_SASL_PASSWORD', '', `a password (or KAFKA_SASL_PASSWORD_FILE) with ${protocolIs}`);
  }
  return { mechanism: s.kafkaSaslMechanism, username: s.kafkaSaslUsername, password };
}

function resolveTls(s: KafkaSecuritySettings): NonNullable<KafkaSecurity['tls']> {
  const ca = s.kafkaSslCaLocation ? readPem('KAFKA_SSL_CA_LOCATION', s.kafkaSslCaLocation, 'CERTIFICATE') : undefined;
  if (ca) certificateOrThrow('KAFKA_SSL_CA_LOCATION', s.kafkaSslCaLocation, ca);
  const keyPassword = secretFrom('KAFKA_SSL_KEY_PASSWORD', s.kafkaSslKeyPassword, s.kafkaSslKeyPasswordFile);
  if (Boolean(s.kafkaSslCertificateLocation) !== Boolean(s.kafkaSslKeyLocation)) {
    const missing = s.kafkaSslCertificateLocation ? 'KAFKA_SSL_KEY_LOCATION' : 'KAFKA_SSL_CERTIFICATE_LOCATION';
    const given = s.kafkaSslCertificateLocation ? 'KAFKA_SSL_CERTIFICATE_LOCATION' : 'KAFKA_SSL_KEY_LOCATION';
    throw new ConfigError(missing, '', `a file path: a client certificate needs its key, and ${given} is set`);
  }
  if (keyPassword && !s.kafkaSslKeyLocation) {
    throw new ConfigError('KAFKA_SSL_KEY_LOCATION', '', 'a key file: KAFKA_SSL_KEY_PASSWORD is set');
  }
  let cert: string | undefined;
  let key: string | undefined;
  if (s.kafkaSslCertificateLocation && s.kafkaSslKeyLocation) {
    cert = readPem('KAFKA_SSL_CERTIFICATE_LOCATION', s.kafkaSslCertificateLocation, 'CERTIFICATE');
    key = readPem('KAFKA_SSL_KEY_LOCATION', s.kafkaSslKeyLocation, 'PRIVATE KEY');
    checkPair(s, cert, key, keyPassword);
  }
  return {
    ca,
    cert,
    key,
    keyPassword,
    serverName: s.kafkaSslServerName || undefined,
    verifyHostname: s.kafkaSslEndpointIdentificationAlgorithm === 'https',
  };
}

/** The key opens (with its password, if any) and belongs to the certificate. */
function checkPair(s: KafkaSecuritySettings, cert: string, key: string, password: Secret | undefined): void {
  const certificate = certificateOrThrow('KAFKA_SSL_CERTIFICATE_LOCATION', s.kafkaSslCertificateLocation, cert);
  let privateKey;
  try {
    privateKey = createPrivateKey({ key, format: 'pem', passphrase: password?.reveal() });
  } catch (err) {
    const why = (err as Error).message;
    if (password) {
      const variable = s.kafkaSslKeyPasswordFile ? 'KAFKA_SSL_KEY_PASSWORD_FILE' : 'KAFKA_SSL_KEY_PASSWORD';
      const value = s.kafkaSslKeyPasswordFile || String(password);
      throw new ConfigError(variable, value, `the password of ${s.kafkaSslKeyLocation}: ${why}`);
    }
    throw new ConfigError(
      'KAFKA_SSL_KEY_LOCATION',
      s.kafkaSslKeyLocation,
      `a PEM private key (if it is encrypted, set KAFKA_SSL_KEY_PASSWORD): ${why}`,
    );
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new ConfigError(
      'KAFKA_SSL_KEY_LOCATION',
      s.kafkaSslKeyLocation,
      `the private key of the certificate in KAFKA_SSL_CERTIFICATE_LOCATION (${s.kafkaSslCertificateLocation})`,
    );
  }
}

function certificateOrThrow(variable: string, path: string, pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new ConfigError(variable, path, `a PEM certificate file: ${(err as Error).message}`);
  }
}

/** Reads a PEM file whose blocks include `-----BEGIN ... <kind>-----`. */
function readPem(variable: string, path: string, kind: string): string {
  const text = readFileOrThrow(variable, path, 'a readable PEM file');
  if (!new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(text)) {
    // Java users often have a JKS or PKCS#12 store: say how to get PEM (docs in README).
    throw new ConfigError(
      variable,
      path,
      `a PEM file with a ${kind} block (convert a JKS/PKCS#12 store with keytool or openssl)`,
    );
  }
  return text;
}

function readFileOrThrow(variable: string, path: string, expected: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      variable,
      path,
      `${expected} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}

/**
 * A secret given as a value (NAME) or as a file holding it (NAME_FILE, as Docker and Kubernetes
 * secrets are mounted). One of the two; a trailing newline in the file is not part of the secret.
 */
export function secretFrom(name: string, value: Secret | undefined, file: string): Secret | undefined {
  if (value && file) throw new ConfigError(`${name}_FILE`, file, `either ${name} or ${name}_FILE, not both`);
  if (!file) return value;
  const text = readFileOrThrow(`${name}_FILE`, file, 'a readable file holding the secret').replace(/\r?\n$/, '');
  if (!text) throw new ConfigError(`${name}_FILE`, file, 'a file that is not empty');
  return new Secret(text);
}

/** Refuses the first of `values` that is set: `expected` says why the protocol ignores it. */
function refuseIgnored(values: Record<string, string | Secret | undefined>, expected: string): void {
  const stray = Object.entries(values).find(([, v]) => v !== undefined && v !== '');
  // A Secret prints as [redacted]: the error says it is set, never what it is.
  if (stray) throw new ConfigError(stray[0], String(stray[1]), expected);
}

/**
 * What both client libraries hand to tls.connect (after the broker's host, so ours win), or
 * undefined without TLS.
 */
export function tlsConnectionOptions(security: KafkaSecurity): ConnectionOptions | undefined {
  const tls = security.tls;
  if (!tls) return undefined;
  return {
    // Without a CA file Node trusts its bundled and system CAs, as librdkafka does.
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    passphrase: tls.keyPassword?.reveal(),
    rejectUnauthorized: true,
    // Node sends `servername` in SNI and checks the certificate against it instead of the host.
    ...(tls.serverName ? { servername: tls.serverName } : {}),
    // `none` keeps the chain check and skips only the name, like ssl.endpoint.identification.algorithm.
    ...(tls.verifyHostname ? {} : { checkServerIdentity: () => undefined }),
  };
}
