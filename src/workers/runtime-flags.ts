// How `npm run worker` starts Node (package.json's "worker" script), in one place the benchmark
// (scripts/bench/worker-process.ts) and a unit test read, so what is measured is what users run.
//
// Why: a worker's RSS was mostly what V8 and malloc keep, not the records. Without a limit V8 let
// the main heap grow to about 400 MiB of mostly garbage while it held under 180 MiB live, and each
// of the threads (the Temporal SDK's workflow threads, its Rust core, libuv) got malloc arenas of
// its own. Measured with the drain benchmark (docs/BENCHMARKS.md, "Memory"): peak RSS 810-840 MiB
// without these flags, about 420-500 MiB with them.

import { getHeapStatistics } from 'node:v8';

const MiB = 1_048_576;

/**
 * Old-space limit of each V8 heap: room for WORKER_MEMORY_BUDGET at its default (128 MiB) plus the
 * process's own heap (about 60 MiB) and the process-batch activities' working memory.
 */
export const WORKER_OLD_SPACE_MIB = 320;
/** Young-generation semi-space (V8's default is 16 MiB): garbage of short-lived objects is collected sooner. */
export const WORKER_SEMI_SPACE_MIB = 8;

export const WORKER_NODE_FLAGS = [
  `--max-old-space-size=${WORKER_OLD_SPACE_MIB}`,
  `--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`,
] as const;

/** glibc's malloc arenas, at most two instead of eight per core: fewer half-empty arenas. */
export const WORKER_ENV = { MALLOC_ARENA_MAX: '2' } as const;

/** The heap the worker's own memory and the activities need beside WORKER_MEMORY_BUDGET. */
export const HEAP_BESIDE_BUDGET_BYTES = 192 * MiB;

/**
 * A warning when the old-space limit Node runs with leaves less than the budget plus what the
 * process needs beside it (WORKER_MEMORY_BUDGET raised without the flag, say): V8 would stop the
 * process when the heap is full, before the budget is reached.
 */
export function heapLimitWarning(
  budgetBytes: number,
  limitBytes = getHeapStatistics().heap_size_limit,
): string | undefined {
  const needed = budgetBytes + HEAP_BESIDE_BUDGET_BYTES;
  if (limitBytes >= needed) return undefined;
  return (
    `Node's heap limit (${Math.round(limitBytes / MiB)} MiB) is below WORKER_MEMORY_BUDGET plus ` +
    `${HEAP_BESIDE_BUDGET_BYTES / MiB} MiB (${Math.round(needed / MiB)} MiB): start node with ` +
    `--max-old-space-size=${Math.ceil(needed / MiB)} or more (package.json's "worker" script), or lower WORKER_MEMORY_BUDGET`
  );
}
