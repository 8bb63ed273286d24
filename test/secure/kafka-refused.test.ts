// Settings the secured broker refuses stop a command at startup with exit code 2 and one line that
// names the setting and quotes the broker, instead of retrying in silence. The commands run as
// child processes, exactly as a user starts them.

import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers';
import { expectRefusedAtStartup, otherCa, runRefused, secureKafkaEnv } from './secure-env';

/** Runs `npm run producer` (or another entry point) and returns its one line of complaint. */
function refusal(env: Record<string, string>, script = 'scripts/producer.ts') {
  return runRefused(script, [], { KAFKA_TOPIC: uniqueName('refused'), ...env });
}

const NO_SASL = { KAFKA_SASL_MECHANISM: '', KAFKA_SASL_USERNAME: '', KAFKA_SASL_PASSWORD_FILE: '' };

describe('a refused Kafka setting', () => {
  it.each([
    [
      'a wrong password',
      () => ({ ...secureKafkaEnv('sasl'), KAFKA_SASL_PASSWORD_FILE: '', KAFKA_SASL_PASSWORD: 'wrong' }),
      'KAFKA_SASL_PASSWORD',
      'invalid credentials',
    ],
    [
      'a mechanism the broker does not enable',
      () => ({ ...secureKafkaEnv('sasl'), KAFKA_SASL_MECHANISM: 'PLAIN' }),
      'KAFKA_SASL_MECHANISM',
      'does not support',
    ],
    [
      'an unknown mechanism',
      () => ({ ...secureKafkaEnv('sasl'), KAFKA_SASL_MECHANISM: 'GSSAPI' }),
      'KAFKA_SASL_MECHANISM',
      'not supported',
    ],
    [
      'a CA that did not sign the broker',
      () => ({ ...secureKafkaEnv('sasl'), KAFKA_SSL_CA_LOCATION: otherCa() }),
      'KAFKA_SSL_CA_LOCATION',
      'not signed by a trusted CA',
    ],
    [
      'a missing certificate file',
      () => ({ ...secureKafkaEnv('mtls'), KAFKA_SSL_CERTIFICATE_LOCATION: '/nonexistent/client.crt' }),
      'KAFKA_SSL_CERTIFICATE_LOCATION',
      'ENOENT',
    ],
    [
      'no client certificate where one is required',
      () => ({ ...secureKafkaEnv('mtls'), KAFKA_SSL_CERTIFICATE_LOCATION: '', KAFKA_SSL_KEY_LOCATION: '' }),
      'KAFKA_SSL_CERTIFICATE_LOCATION',
      'did not accept our client certificate',
    ],
    [
      'plaintext to the SASL_SSL port',
      () => ({
        ...secureKafkaEnv('sasl'),
        ...NO_SASL,
        KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT',
        KAFKA_SSL_CA_LOCATION: '',
      }),
      'KAFKA_SECURITY_PROTOCOL',
      'speaks TLS',
    ],
    [
      'plaintext to the mTLS port',
      () => ({ KAFKA_BROKERS: secureKafkaEnv('mtls').KAFKA_BROKERS!, KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT' }),
      'KAFKA_SECURITY_PROTOCOL',
      'speaks TLS',
    ],
  ])('%s: exit code 2 at startup, one line naming the setting', async (_what, env, variable, said) => {
    expectRefusedAtStartup(await refusal(env()), variable, said);
  });

  it('stops the worker too, before it starts anything', async () => {
    const env = { ...secureKafkaEnv('sasl'), KAFKA_SASL_PASSWORD_FILE: '', KAFKA_SASL_PASSWORD: 'wrong' };
    const { code, lines } = await refusal({ ...env, KAFKA_GROUP_ID: uniqueName('g') }, 'src/workers/main.ts');
    expect(lines.at(-1)).toContain('KAFKA_SASL_PASSWORD');
    expect(lines).toHaveLength(1);
    expect(code).toBe(2);
  });
});
