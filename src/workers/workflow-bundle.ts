// The workflow bundle, built once per version of the code instead of at every start. Bundling
// (webpack over the workflows and what they import) took about 2.7 s of the worker's start; the
// bundle it writes is reused by every later start, `npm run worker` or a test file, until a source
// file or an installed package changes.
//
// The cache key is a hash of every source file next to the workflows (src/ in development, dist/
// when compiled) and of package-lock.json: whatever the bundle may contain. A stale bundle is never
// loaded: a changed file gives another key. Writing is best effort (a read-only checkout bundles in
// memory at each start, as before); a bundle is written to a temporary name and renamed, so two
// workers starting at once never read half a file. `npm run worker` runs a build of src/ kept under
// .data (scripts/worker.cjs), which calls useSourceRoot(): its bundle is made from src/ and shares
// the cache key of the tests and scripts, which run src/ through tsx.

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';

/** The code the bundle is made from (holding workflows/), and the repository it belongs to. */
interface Roots {
  code: string;
  repo: string;
}

function rootsOf(code: string): Roots {
  return { code, repo: resolve(code, '..') };
}

/** src/ (or dist/ once compiled): the folder above this file's; see useSourceRoot(). */
let roots = rootsOf(resolve(__dirname, '..'));
export const BUNDLE_CACHE_DIR = join(roots.repo, '.data', 'workflow-bundle');

/**
 * This file runs from a build kept away from the repository (scripts/worker.cjs): the workflows are
 * bundled from `sourceRoot` (the src/ that build was compiled from), and the cache is that repository's.
 */
export function useSourceRoot(sourceRoot: string): void {
  roots = rootsOf(sourceRoot);
}

/** Keeps the bundler's progress lines out of the output; warnings and errors still show. */
export const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

/**
 * The workflows, with the interceptor that tells the workers when runs start and end (for
 * metrics; it adds nothing to histories). Every worker given this bundle needs runMetricsSinks.
 */
export function bundleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath: join(roots.code, 'workflows'),
    workflowInterceptorModules: [join(roots.code, 'workflows', 'run-metrics-interceptor')],
    logger: quietBundlerLogger,
  });
}

/** Files under `dir` whose content may end up in the bundle, in a stable order. */
function codeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return codeFiles(path);
      return e.isFile() && /\.(ts|js|json)$/.test(e.name) ? [path] : [];
    })
    .sort();
}

/** A hash of the code and the installed packages: equal keys mean equal bundles. */
export function bundleKey(
  codeRoot: string = roots.code,
  lockFile: string = join(roots.repo, 'package-lock.json'),
): string {
  const hash = createHash('sha256');
  for (const file of codeFiles(codeRoot)) {
    hash.update(file.slice(codeRoot.length)).update('\0').update(readFileSync(file)).update('\0');
  }
  try {
    hash.update(readFileSync(lockFile));
  } catch {
    // No lock file (an unusual install): the code alone keys the bundle.
  }
  return hash.digest('hex').slice(0, 32);
}

export interface CachedBundleOptions {
  cacheDir?: string;
  key?: string;
  build?: () => Promise<WorkflowBundle>;
  /** Told why a bundle could not be kept (nothing else is said: a cache miss is routine). */
  onCacheError?: (err: unknown) => void;
}

/** The bundle of this code: read from the cache when built before, else built and kept there. */
export async function loadWorkflowBundle(options: CachedBundleOptions = {}): Promise<WorkflowBundle> {
  const cacheDir = options.cacheDir ?? join(roots.repo, '.data', 'workflow-bundle');
  const key = options.key ?? bundleKey();
  const file = join(cacheDir, `${key}.js`);
  try {
    return { code: readFileSync(file, 'utf8') };
  } catch {
    // Not built yet for this code.
  }
  const bundle = await (options.build ?? bundleWorkflows)();
  try {
    mkdirSync(cacheDir, { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, bundle.code);
    renameSync(partial, file);
    // Bundles of older code are never read again.
    for (const name of readdirSync(cacheDir)) {
      if (name !== `${key}.js` && !name.endsWith('.partial')) rmSync(join(cacheDir, name), { force: true });
    }
  } catch (err) {
    options.onCacheError?.(err);
  }
  return bundle;
}
