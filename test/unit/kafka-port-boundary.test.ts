// The Kafka port's boundary (src/kafka/port.ts): only the folder of each client library imports it,
// so that KAFKA_CLIENT can pick either and nothing else depends on one library's types.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const LIBRARIES = /(?:from|import|require\()\s*['"](kafkajs|@platformatic\/kafka)(?:\/[^'"]*)?['"]/;
const ALLOWED = ['src/kafka/kafkajs/', 'src/kafka/platformatic/'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|mts|cts)$/.test(name) ? [path] : [];
  });
}

it('no module outside src/kafka/kafkajs/ and src/kafka/platformatic/ imports a Kafka client library', () => {
  const offenders = ['src', 'scripts']
    .flatMap((dir) => sources(join(root, dir)))
    .map((path) => relative(root, path).split('\\').join('/'))
    .filter((path) => !ALLOWED.some((folder) => path.startsWith(folder)))
    .filter((path) => LIBRARIES.test(readFileSync(join(root, path), 'utf8')));
  expect(offenders).toEqual([]);
});
