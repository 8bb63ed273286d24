// Test certificates made with openssl in a temporary folder: a CA, a server certificate for
// localhost/127.0.0.1, a client certificate (plain and password-protected key) and a second,
// unrelated CA. The unit tests check how settings read them; scripts/infra/secure-pki.sh makes the
// ones the secure test servers use.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  caCert: string;
  otherCaCert: string;
  clientCert: string;
  clientKey: string;
  /** The client key encrypted with `keyPassword`. */
  encryptedClientKey: string;
  keyPassword: string;
  /** A key that belongs to no certificate here. */
  strayKey: string;
  remove(): void;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCa(dir: string, name: string): void {
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
  );
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'microbatch-pki-'));
  makeCa(dir, 'test-ca');
  makeCa(dir, 'other-ca');
  openssl(
    dir,
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=client',
    '-keyout',
    'client.key',
    '-out',
    'client.csr',
  );
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'client.csr',
    '-CA',
    'test-ca.crt',
    '-CAkey',
    'test-ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    'client.crt',
  );
  openssl(
    dir,
    'pkey',
    '-in',
    'client.key',
    '-aes256',
    '-passout',
    'pass:s3cret-key-pass',
    '-out',
    'client-encrypted.key',
  );
  openssl(dir, 'genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'stray.key');
  return {
    dir,
    caCert: join(dir, 'test-ca.crt'),
    otherCaCert: join(dir, 'other-ca.crt'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
    encryptedClientKey: join(dir, 'client-encrypted.key'),
    keyPassword: 's3cret-key-pass',
    strayKey: join(dir, 'stray.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
