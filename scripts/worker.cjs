// `npm run worker`: runs src/workers/main.ts as JavaScript compiled ahead of time, not through tsx.
// Loading the worker through tsx's hooks took about 0.3 s of every start (docs/BENCHMARKS.md,
// Launch); compiled code loads without them. No build step for the user: the first start after a
// change of src/ compiles it (esbuild, each file on its own as tsx does: a few tenths of a second) into
// .data/worker-build/<hash of the sources>/, and later starts of that code find it there. A build
// is written under a temporary name and renamed, so workers starting at once never load half of
// one. If no build can be made or kept (esbuild missing, a read-only checkout), the worker runs
// through tsx as before.
//
// Plain JavaScript on purpose: it is what runs before anything is compiled. Neighbours:
// src/workers/workflow-bundle.ts (told here that the sources are in src/, so the workflow bundle
// and its cache key stay those of the sources), package.json (the `worker` script),
// test/unit/worker-launcher.test.ts.

'use strict';

const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const ROOT = path.resolve(__dirname, '..');
/** Builds of other versions of the code are removed once this old (a worker may still be loading one). */
const STALE_BUILD_MS = 60 * 60 * 1000;

/** The files under `dir` a build is made of, in a stable order. */
function sourceFiles(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const file = path.join(dir, e.name);
      if (e.isDirectory()) return sourceFiles(file);
      return e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [file] : [];
    })
    .sort();
}

/** A hash of all the build depends on: the sources, this file, tsconfig.json and esbuild's version. */
function buildKey(src, files, esbuildVersion) {
  const hash = createHash('sha256');
  hash.update(fs.readFileSync(__filename)).update('\0').update(esbuildVersion).update('\0');
  hash.update(fs.readFileSync(path.join(ROOT, 'tsconfig.json'))).update('\0');
  for (const file of files) {
    hash.update(path.relative(src, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}

/** Compiles `files` of `src` into `outDir` (CommonJS for Node 20, source maps inline, as tsx does). */
function build(esbuild, src, files, outDir) {
  const partial = `${outDir}.${process.pid}.partial`;
  esbuild.buildSync({
    entryPoints: files,
    outbase: src,
    outdir: partial,
    bundle: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    // import() of a module of ours becomes require(), as tsc compiles it: Node's import() wants
    // file extensions, which the sources leave out.
    supported: { 'dynamic-import': false },
    logLevel: 'silent',
  });
  try {
    fs.renameSync(partial, outDir);
  } catch (err) {
    fs.rmSync(partial, { recursive: true, force: true });
    // Another worker starting at the same time built it first.
    if (!fs.existsSync(outDir)) throw err;
  }
}

/** Removes builds (and partial ones) other than `keep` that are older than STALE_BUILD_MS. */
function removeStaleBuilds(builds, keep) {
  for (const name of fs.readdirSync(builds)) {
    const dir = path.join(builds, name);
    if (dir === keep) continue;
    try {
      if (Date.now() - fs.statSync(dir).mtimeMs > STALE_BUILD_MS) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // Removed by another start meanwhile.
    }
  }
}

/**
 * The folder holding the compiled `src` (its workers/main.js and the rest), under `builds`: the
 * one made earlier for the same sources, or a new one.
 */
function compiledBuild({ src = path.join(ROOT, 'src'), builds = path.join(ROOT, '.data', 'worker-build') } = {}) {
  const esbuild = require('esbuild');
  const files = sourceFiles(src);
  const outDir = path.join(builds, buildKey(src, files, esbuild.version));
  if (!fs.existsSync(outDir)) {
    fs.mkdirSync(builds, { recursive: true });
    build(esbuild, src, files, outDir);
    removeStaleBuilds(builds, outDir);
  }
  return outDir;
}

function main() {
  const src = path.join(ROOT, 'src');
  let compiled;
  try {
    compiled = compiledBuild({ src });
  } catch (err) {
    console.warn(`worker: running through tsx (could not compile src/: ${err instanceof Error ? err.message : err})`);
    // What `node --import tsx src/workers/main.ts` does.
    import('tsx')
      .then(() => import(pathToFileURL(path.join(src, 'workers', 'main.ts')).href))
      .catch((e) => {
        console.error(`worker failed: ${e instanceof Error ? e.message : e}`);
        process.exit(1);
      });
    return;
  }
  // Stack traces name the TypeScript lines.
  process.setSourceMapsEnabled(true);
  require(path.join(compiled, 'workers', 'workflow-bundle.js')).useSourceRoot(src);
  require(path.join(compiled, 'workers', 'main.js'));
}

if (require.main === module) main();

module.exports = { compiledBuild };
