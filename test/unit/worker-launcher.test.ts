// `npm run worker`'s launcher (scripts/worker.cjs): compiles src/ once per version of the sources,
// reuses that build at later starts, and the compiled code runs under plain Node.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compiledBuild } from '../../scripts/worker.cjs';

/** Node's own require: the compiled files are loaded as `npm run worker` loads them. */
const nodeRequire = createRequire(__filename);

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'launcher-test-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A small source tree: index.ts loads b.ts with import(), as src/kafka/client.ts loads a client. */
function sources(value = 42): string {
  const src = join(tempDir(), 'src');
  mkdirSync(join(src, 'lib'), { recursive: true });
  writeFileSync(
    join(src, 'index.ts'),
    "export async function load(): Promise<number> {\n  const { value } = await import('./lib/b');\n  return value;\n}\n",
  );
  writeFileSync(join(src, 'lib', 'b.ts'), `export const value: number = ${value};\n`);
  return src;
}

describe('the worker launcher', () => {
  it('compiles the sources once and finds that build at the next start', () => {
    const src = sources();
    const builds = tempDir();
    const first = compiledBuild({ src, builds });
    expect(existsSync(join(first, 'index.js'))).toBe(true);
    expect(compiledBuild({ src, builds })).toBe(first);
    expect(readdirSync(builds)).toHaveLength(1);
  });

  it('builds again when a source file changes', () => {
    const src = sources();
    const builds = tempDir();
    const first = compiledBuild({ src, builds });
    writeFileSync(join(src, 'lib', 'b.ts'), 'export const value: number = 43;\n');
    const second = compiledBuild({ src, builds });
    expect(second).not.toBe(first);
    expect(nodeRequire(join(second, 'lib', 'b.js')).value).toBe(43);
  });

  it('gives code that runs under plain Node, import() of its own modules included', async () => {
    const build = compiledBuild({ src: sources(7), builds: tempDir() });
    const { load } = nodeRequire(join(build, 'index.js')) as { load(): Promise<number> };
    expect(await load()).toBe(7);
  });

  it("compiles the worker's own sources", () => {
    const build = compiledBuild({ builds: tempDir() });
    expect(existsSync(join(build, 'workers', 'main.js'))).toBe(true);
  });
});
