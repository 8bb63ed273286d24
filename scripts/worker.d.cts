// Types of scripts/worker.cjs, for the TypeScript that uses it (the benchmark, its unit test).

/**
 * The folder holding the compiled `src` (default: this checkout's src/) under `builds` (default:
 * .data/worker-build/): the one made earlier for the same sources, or a new one.
 */
export function compiledBuild(options?: { src?: string; builds?: string }): string;
