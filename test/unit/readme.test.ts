// The README's settings table and .env.example tell the truth: every setting, with its default.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config';

const root = join(__dirname, '../..');

describe('documentation of settings', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const example = readFileSync(join(root, '.env.example'), 'utf8');

  it.each(Object.values(SETTINGS).map((s) => [s.name, s.default]))('README lists %s with default %j', (name, value) => {
    const shown = value === '' ? '(empty)' : `\`${value}\``;
    expect(readme).toContain(`| \`${name}\` | ${shown} |`);
  });

  it.each(Object.values(SETTINGS).map((s) => [s.name, s.default]))('.env.example lists %s=%s', (name, value) => {
    expect(example).toContain(`# ${name}=${value}\n`);
  });
});
