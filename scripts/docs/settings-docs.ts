// The README's settings table and .env.example, rendered from the one declaration of every setting
// (SETTINGS in src/config.ts: name, default, meaning, parser). Nobody edits either copy by hand:
// `npm run docs:settings` rewrites both, and test/unit/settings-docs.test.ts fails when they are stale.

import { SETTINGS } from '../../src/config';

export interface DocumentedSetting {
  name: string;
  default: string;
  /** Markdown: `code` and [links](#anchors) as the README shows them. */
  description: string;
}

const settings = (): DocumentedSetting[] => Object.values(SETTINGS);

export const TABLE_START = '<!-- settings table: generated from src/config.ts by `npm run docs:settings` -->';
export const TABLE_END = '<!-- end of settings table -->';

export function settingsTable(list: DocumentedSetting[] = settings()): string {
  const rows = list.map(
    (s) => `| \`${s.name}\` | ${s.default === '' ? '(empty)' : `\`${s.default}\``} | ${s.description} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** README.md with the text between the table's markers replaced by the table. */
export function withSettingsTable(readme: string, table: string = settingsTable()): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start)
    throw new Error(`README.md lacks the settings table markers ${TABLE_START} … ${TABLE_END}`);
  return `${readme.slice(0, start + TABLE_START.length)}\n${table}\n${readme.slice(end)}`;
}

/** A description as a comment in a plain-text file reads it: links become their text. */
function plain(markdown: string): string {
  return markdown.replace(/\[([^\]]+)\]\(#[^)]*\)/g, '"$1"').replace(/\[([^\]]+)\]\(([^)]+)\)/g, '$1 ($2)');
}

export function envExample(list: DocumentedSetting[] = settings()): string {
  const header = [
    '# Copy to .env and change what you need; variables already set in the environment win.',
    '# Every setting, its default and its meaning: README.md, "Settings".',
    '# Generated from src/config.ts by `npm run docs:settings`: edit the setting there, not here.',
  ];
  const entries = list.map((s) => `# ${plain(s.description)}\n# ${s.name}=${s.default}\n`);
  return `${header.join('\n')}\n\n${entries.join('\n')}`;
}
