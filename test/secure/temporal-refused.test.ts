// Temporal settings the TLS front refuses stop a command at startup with exit code 2 and one line
// naming the setting, for the client connection (`npm run describe`) and the worker's
// NativeConnection (`npm run worker`) alike, instead of retrying as if the server were down.

import { describe, it } from 'vitest';
import { uniqueName } from '../helpers';
import { expectRefusedAtStartup, otherCa, runRefused, secureTemporalEnv } from './secure-env';

function refusal(script: string, args: string[], env: Record<string, string>) {
  return runRefused(script, args, { KAFKA_GROUP_ID: uniqueName('g'), ...env });
}

const NO_CERT = { TEMPORAL_TLS_CLIENT_CERT_PATH: '', TEMPORAL_TLS_CLIENT_KEY_PATH: '' };

describe('a refused Temporal setting', () => {
  it.each([
    [
      'the client',
      'a wrong API key',
      () => ({ ...secureTemporalEnv('apikey'), TEMPORAL_API_KEY_FILE: '', TEMPORAL_API_KEY: 'nope' }),
      'TEMPORAL_API_KEY',
      'UNAUTHENTICATED',
    ],
    [
      'the worker',
      'a wrong API key',
      () => ({ ...secureTemporalEnv('apikey'), TEMPORAL_API_KEY_FILE: '', TEMPORAL_API_KEY: 'nope' }),
      'TEMPORAL_API_KEY',
      'valid authentication credentials',
    ],
    [
      'the client',
      'no client certificate',
      () => ({ ...secureTemporalEnv('mtls'), ...NO_CERT }),
      'TEMPORAL_TLS_CLIENT_CERT_PATH',
      'client certificate',
    ],
    [
      'the client',
      'a CA that did not sign the server',
      () => ({ ...secureTemporalEnv('mtls'), TEMPORAL_TLS_SERVER_CA_CERT_PATH: otherCa() }),
      'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
      'not signed by a trusted CA',
    ],
    [
      'the worker',
      'a CA that did not sign the server',
      () => ({ ...secureTemporalEnv('mtls'), TEMPORAL_TLS_SERVER_CA_CERT_PATH: otherCa() }),
      'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
      'UnknownIssuer',
    ],
    [
      'the client',
      'plaintext to the TLS port',
      () => ({ TEMPORAL_ADDRESS: secureTemporalEnv('mtls').TEMPORAL_ADDRESS! }),
      'TEMPORAL_TLS',
      'speaks TLS',
    ],
    [
      'the client',
      'a missing certificate file',
      () => ({ ...secureTemporalEnv('mtls'), TEMPORAL_TLS_CLIENT_CERT_PATH: '/nonexistent/client.crt' }),
      'TEMPORAL_TLS_CLIENT_CERT_PATH',
      'ENOENT',
    ],
  ])('%s, %s: exit code 2 at startup, one line naming the setting', async (who, _what, env, variable, said) => {
    const refused =
      who === 'the worker'
        ? await refusal('src/workers/main.ts', [], env())
        : await refusal('scripts/describe.ts', ['no-such-workflow'], env());
    expectRefusedAtStartup(refused, variable, said);
  });
});
