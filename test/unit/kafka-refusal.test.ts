// A broker's refusal of our settings is told from an outage, and names the setting to check.

import { describe, expect, it } from 'vitest';
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSSASLAuthenticationError } from 'kafkajs';
import { refusalOf } from '../../src/kafka/refusal';
import type { KafkaSecurity } from '../../src/kafka/security';

// kafkajs's typings give this class no constructor arguments; at runtime it takes the message.
const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
const tls: KafkaSecurity = { protocol: 'SSL', tls: { ca: 'pem', verifyHostname: true } };
const brokers = ['127.0.0.1:9094'];

function socketError(code: string, message: string): KafkaJSNumberOfRetriesExceeded {
  // As kafkajs reports it after its retries: the connection error keeps the socket's code.
  const connection = new KafkaJSConnectionError(`Connection error: ${message}`, { broker: brokers[0], code } as never);
  return new KafkaJSNumberOfRetriesExceeded(connection, { retryCount: 2, retryTime: 1000 });
}

describe('a refusal by the broker', () => {
  it('of the credentials names the user and password settings and quotes the broker', () => {
    const err = new SaslError('SASL SCRAM SHA512 authentication failed: invalid credentials');
    const refusal = refusalOf(err, tls, brokers);
    expect(refusal?.variable).toContain('KAFKA_SASL_PASSWORD');
    expect(refusal?.message).toContain('Kafka at 127.0.0.1:9094 refused the connection');
    expect(refusal?.message).toContain('invalid credentials');
  });

  it('of the mechanism names KAFKA_SASL_MECHANISM', () => {
    const err = new SaslError('SASL PLAIN mechanism is not supported by the server');
    expect(refusalOf(err, tls, brokers)?.variable).toBe('KAFKA_SASL_MECHANISM');
  });

  it.each([
    ['SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain', 'KAFKA_SSL_CA_LOCATION'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames", 'KAFKA_SSL_SERVER_NAME'],
    [
      'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
      'tlsv13 alert certificate required',
      'KAFKA_SSL_CERTIFICATE_LOCATION',
    ],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number', 'KAFKA_SECURITY_PROTOCOL'],
  ])('in TLS (%s) names the setting to check', (code, message, variable) => {
    expect(refusalOf(socketError(code, message), tls, brokers)?.variable).toContain(variable);
  });

  it('is not an absent broker: that is waited for', () => {
    expect(refusalOf(socketError('ECONNREFUSED', 'connect ECONNREFUSED'), tls, brokers)).toBeUndefined();
    expect(refusalOf(new Error('Connection timeout'), tls, brokers)).toBeUndefined();
  });
});
