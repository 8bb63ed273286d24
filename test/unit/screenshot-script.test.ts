// `npm run screenshot` on a machine without Chromium stops at once, before it starts any server,
// and says what to install: scripts/screenshot.sh checks for the browser first.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const script = join(__dirname, '../../scripts/screenshot.sh');
const run = (env: NodeJS.ProcessEnv) => spawnSync('bash', [script], { env, encoding: 'utf8', timeout: 20_000 });

describe('npm run screenshot without Chromium', () => {
  // A PATH holding only what the script needs before its check: no chromium, and no apt-get to
  // install it with, as on a machine where the user is not root or not on Debian.
  const bin = mkdtempSync(join(tmpdir(), 'no-chromium-'));
  for (const tool of ['bash', 'dirname', 'realpath', 'mkdir']) {
    const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(found, join(bin, tool));
  }
  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  it('names the package to install when chromium is not on PATH and cannot be installed', () => {
    const { HOME } = process.env;
    const result = run({ PATH: bin, HOME });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('chromium not found');
    expect(result.stderr).toContain('apt-get install chromium');
  });

  it('says which setting is wrong when CHROMIUM_BIN points at nothing', () => {
    const result = run({ ...process.env, CHROMIUM_BIN: '/nonexistent/chromium' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('CHROMIUM_BIN=/nonexistent/chromium is not an executable file');
    expect(result.stderr).toContain('apt-get install chromium');
  });
});
