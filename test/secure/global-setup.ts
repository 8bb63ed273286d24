// Global setup of the `secure` project: the usual servers plus the secure test endpoints
// (`infra.sh up secure`: a second Kafka broker with SASL_SSL/SCRAM and mTLS listeners), started
// once for every secure test file, and stopped at the end if this run started them. The client
// settings `up secure` prints reach the tests through vitest's provide/inject.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { runInfraScript } from '../infra-teardown';

const infra = resolve(__dirname, '../../scripts/infra.sh');
const securePidFile = resolve(__dirname, '../../.data/run/kafka-secure.pid');

/** KEY=VALUE lines to an object. */
export function parseSettings(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
}

export default function setup(project: TestProject): () => Promise<void> {
  const runningBefore = existsSync(securePidFile);
  const printed = execFileSync('bash', [infra, 'up', 'secure'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const settings = parseSettings(printed);
  if (!settings.KAFKA_BROKERS) throw new Error(`scripts/infra.sh up secure printed no KAFKA_BROKERS:\n${printed}`);
  project.provide('secureSettings', settings);
  return async () => {
    if (!runningBefore) await runInfraScript(infra, ['down', 'secure']);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** What `infra.sh up secure` printed: KAFKA_* for SASL_SSL, MTLS_KAFKA_* for the mTLS listener. */
    secureSettings: Record<string, string>;
  }
}
