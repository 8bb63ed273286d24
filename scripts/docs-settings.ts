// `npm run docs:settings`: rewrites README.md's settings table and .env.example from src/config.ts.
// With --check it changes nothing and exits 1 when either is stale (what the unit test asserts).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { envExample, withSettingsTable } from './docs/settings-docs';

const root = join(__dirname, '..');
const files = [
  { path: join(root, 'README.md'), render: (current: string) => withSettingsTable(current) },
  { path: join(root, '.env.example'), render: () => envExample() },
];
const check = process.argv.includes('--check');
let stale = 0;
for (const { path, render } of files) {
  const current = readFileSync(path, 'utf8');
  const wanted = render(current);
  if (current === wanted) continue;
  stale++;
  if (check) console.error(`${path} is stale: run npm run docs:settings`);
  else writeFileSync(path, wanted);
}
if (!check) console.log(stale ? `rewrote ${stale} file(s)` : 'README.md and .env.example are current');
process.exit(check && stale ? 1 : 0);
