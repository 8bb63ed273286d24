// The workflow bundle cache: built once per version of the code, read back by later starts, never
// served stale, and never in the way (a cache that cannot be written only costs the next start).

import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleKey, loadWorkflowBundle, useSourceRoot } from '../../src/workers/workflow-bundle';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-test-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A stand-in for webpack: counts its builds and makes code that names the build. */
function counter() {
  let builds = 0;
  return {
    build: async () => ({ code: `bundle #${++builds}` }),
    get builds() {
      return builds;
    },
  };
}

describe('workflow bundle cache', () => {
  it('builds once per key and reads the kept bundle afterwards', async () => {
    const cacheDir = join(tempDir(), 'cache');
    const builder = counter();
    expect(await loadWorkflowBundle({ cacheDir, key: 'k1', build: builder.build })).toEqual({ code: 'bundle #1' });
    expect(await loadWorkflowBundle({ cacheDir, key: 'k1', build: builder.build })).toEqual({ code: 'bundle #1' });
    expect(builder.builds).toBe(1);
    expect(readdirSync(cacheDir)).toEqual(['k1.js']);
  });

  it('builds again for another key and drops the bundle of the older code', async () => {
    const cacheDir = tempDir();
    const builder = counter();
    await loadWorkflowBundle({ cacheDir, key: 'old', build: builder.build });
    expect(await loadWorkflowBundle({ cacheDir, key: 'new', build: builder.build })).toEqual({ code: 'bundle #2' });
    expect(readdirSync(cacheDir)).toEqual(['new.js']);
  });

  it('still returns the bundle when the cache cannot be written, and says why', async () => {
    const parent = tempDir();
    const cacheDir = join(parent, 'cache');
    writeFileSync(cacheDir, 'a file where the folder should be');
    const errors: unknown[] = [];
    const builder = counter();
    const bundle = await loadWorkflowBundle({
      cacheDir,
      key: 'k',
      build: builder.build,
      onCacheError: (e) => errors.push(e),
    });
    expect(bundle).toEqual({ code: 'bundle #1' });
    expect(errors).toHaveLength(1);
  });

  it('keys the code: the same files give the same key, any change to a file or the lock file another', () => {
    const root = tempDir();
    const code = join(root, 'src');
    mkdirSync(join(code, 'workflows'), { recursive: true });
    writeFileSync(join(code, 'workflows', 'index.ts'), 'export const a = 1;');
    writeFileSync(join(code, 'batch.ts'), 'export const b = 2;');
    const lock = join(root, 'package-lock.json');
    writeFileSync(lock, '{"v":1}');
    const first = bundleKey(code, lock);
    expect(bundleKey(code, lock)).toBe(first);
    writeFileSync(join(code, 'batch.ts'), 'export const b = 3;');
    const afterEdit = bundleKey(code, lock);
    expect(afterEdit).not.toBe(first);
    writeFileSync(lock, '{"v":2}');
    expect(bundleKey(code, lock)).not.toBe(afterEdit);
    writeFileSync(join(code, 'workflows', 'new.ts'), '');
    expect(bundleKey(code, lock)).not.toBe(afterEdit);
  });
});

describe('workflow bundle of a launch build', () => {
  const repoSrc = join(__dirname, '..', '..', 'src');
  afterEach(() => useSourceRoot(repoSrc));

  it('is keyed by the sources the build was compiled from, and their lock file', () => {
    const root = tempDir();
    const code = join(root, 'src');
    mkdirSync(join(code, 'workflows'), { recursive: true });
    writeFileSync(join(code, 'workflows', 'index.ts'), 'export const a = 1;');
    writeFileSync(join(root, 'package-lock.json'), '{"v":1}');
    useSourceRoot(code);
    expect(bundleKey()).toBe(bundleKey(code, join(root, 'package-lock.json')));
  });
});
