// The README's settings table and .env.example are rendered from SETTINGS (src/config.ts), and the
// checked-in copies are the rendered ones: a setting added, renamed or re-described in one place
// only fails here until `npm run docs:settings` is run.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config';
import { envExample, settingsTable, withSettingsTable, TABLE_END, TABLE_START } from '../../scripts/docs/settings-docs';

const root = join(__dirname, '../..');

describe('documentation of settings', () => {
  it('README.md holds the settings table as rendered from src/config.ts', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(withSettingsTable(readme)).toBe(readme);
  });

  it('.env.example is as rendered from src/config.ts', () => {
    expect(readFileSync(join(root, '.env.example'), 'utf8')).toBe(envExample());
  });

  it('lists every setting once, with its default', () => {
    const table = settingsTable();
    for (const s of Object.values(SETTINGS)) {
      const shown = s.default === '' ? '(empty)' : `\`${s.default}\``;
      expect(table.split(`| \`${s.name}\` | ${shown} |`)).toHaveLength(2);
      expect(envExample().split(`\n# ${s.name}=${s.default}\n`)).toHaveLength(2);
    }
  });

  it('renders a description for each copy: markdown in the README, links as text in .env.example', () => {
    const one = [
      { name: 'X_PORT', default: '', description: 'see [Metrics](#metrics) and [docs](docs/A.md); `0` off' },
    ];
    expect(settingsTable(one)).toContain(
      '| `X_PORT` | (empty) | see [Metrics](#metrics) and [docs](docs/A.md); `0` off |',
    );
    expect(envExample(one)).toContain('# see "Metrics" and docs (docs/A.md); `0` off\n# X_PORT=\n');
  });

  it('replaces only what lies between the markers, and refuses a README without them', () => {
    const readme = `before\n${TABLE_START}\nold table\n${TABLE_END}\nafter\n`;
    expect(withSettingsTable(readme, 'new table')).toBe(`before\n${TABLE_START}\nnew table\n${TABLE_END}\nafter\n`);
    expect(() => withSettingsTable('no markers')).toThrow(/lacks the settings table markers/);
  });
});
