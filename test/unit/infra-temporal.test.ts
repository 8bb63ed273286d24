// The command line scripts/infra.sh starts the Temporal dev server with, read from a stand-in for
// the CLI (no server starts): the Web UI gets a codec endpoint only when one is asked for, since
// with none serving it every workflow page shows a red "Codec Server could not connect" banner;
// the server's metrics are on a known port, for Prometheus.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const infra = join(__dirname, '../../scripts/infra');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs temporal_start against the stand-in CLI, with `env` added to the environment. */
function runStart(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'infra-temporal-'));
  dirs.push(dir);
  const fakeCli = join(dir, 'temporal');
  writeFileSync(
    fakeCli,
    `#!/bin/bash\nprintf '%s\\n' "$@" > '${dir}/args.tmp' && mv '${dir}/args.tmp' '${dir}/args'\n`,
  );
  chmodSync(fakeCli, 0o755);
  const result = spawnSync(
    'bash',
    [
      '-c',
      `set -euo pipefail; source '${infra}/common.sh'; source '${infra}/temporal.sh'; ensure_dirs; temporal_start`,
    ],
    {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        INFRA_DATA_DIR: join(dir, 'data'),
        TEMPORAL_BIN: fakeCli,
        // Ports nothing listens on, so temporal_start launches rather than reuses a server.
        TEMPORAL_PORT: '1',
        TEMPORAL_UI_PORT: '2',
        ...env,
      },
    },
  );
  return { dir, result };
}

/** The arguments temporal_start passes to the CLI, with `env` added to the environment. */
async function startArgs(env: Record<string, string> = {}): Promise<string[]> {
  const { dir, result } = runStart(env);
  expect(result.status, result.stderr).toBe(0);
  const deadline = Date.now() + 5_000;
  while (!existsSync(join(dir, 'args')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return readFileSync(join(dir, 'args'), 'utf8').trim().split('\n');
}

describe('the Temporal dev server infra.sh starts', () => {
  it('gets no codec endpoint by default', async () => {
    const args = await startArgs();
    expect(args.slice(0, 2)).toEqual(['server', 'start-dev']);
    expect(args).not.toContain('--ui-codec-endpoint');
  });

  it('gets the codec endpoint TEMPORAL_UI_CODEC_ENDPOINT names', async () => {
    const args = await startArgs({ TEMPORAL_UI_CODEC_ENDPOINT: 'http://127.0.0.1:8234' });
    expect(args[args.indexOf('--ui-codec-endpoint') + 1]).toBe('http://127.0.0.1:8234');
  });

  it('serves its metrics two ports above the Web UI by default, on TEMPORAL_SERVER_METRICS_PORT when set', async () => {
    // Ports nothing listens on (the fault tests' second server pair uses 18233 while they run).
    const byDefault = await startArgs({ TEMPORAL_UI_PORT: '12' });
    expect(byDefault[byDefault.indexOf('--metrics-port') + 1]).toBe('14');
    const chosen = await startArgs({ TEMPORAL_SERVER_METRICS_PORT: '3' });
    expect(chosen[chosen.indexOf('--metrics-port') + 1]).toBe('3');
  });

  it("keeps its store's SQLite journal in WAL mode, or the mode TEMPORAL_SQLITE_JOURNAL_MODE names", async () => {
    const byDefault = await startArgs();
    expect(byDefault[byDefault.indexOf('--sqlite-pragma') + 1]).toBe('journal_mode=wal');
    const chosen = await startArgs({ TEMPORAL_SQLITE_JOURNAL_MODE: 'delete' });
    expect(chosen[chosen.indexOf('--sqlite-pragma') + 1]).toBe('journal_mode=delete');
  });

  it('refuses a TEMPORAL_SQLITE_JOURNAL_MODE that is no journal mode, naming the setting, and starts nothing', () => {
    const { dir, result } = runStart({ TEMPORAL_SQLITE_JOURNAL_MODE: 'wall' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('TEMPORAL_SQLITE_JOURNAL_MODE=wall');
    expect(existsSync(join(dir, 'args'))).toBe(false);
  });

  it('leaves the metrics port to the CLI with TEMPORAL_SERVER_METRICS_PORT=0', async () => {
    expect(await startArgs({ TEMPORAL_SERVER_METRICS_PORT: '0' })).not.toContain('--metrics-port');
  });
});
