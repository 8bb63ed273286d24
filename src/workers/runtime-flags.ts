// How `npm run worker` starts Node (package.json's "worker" script), in one place the benchmark
// (scripts/bench/worker-process.ts) and a unit test read, so what is measured is what users run.
//
// Why: a worker's RSS was mostly what V8 and malloc keep, not the records. Without a limit V8 let
// the main heap grow to about 400 MiB of mostly garbage while it held under 180 MiB live, and each
// of the threads (the Temporal SDK's workflow threads, its Rust core, libuv) got malloc arenas of
// its own. Measured with the drain benchmark (docs/BENCHMARKS.md, "Memory"): peak RSS 800-850 MiB
// without these flags, 490-570 MiB with them, at the same speed. Tighter limits (old space 320 MiB
// and a semi-space of 8 MiB: 450-550 MiB) cost about a third of the drain's speed in collections.

import { getHeapStatistics } from 'node:v8';

const MiB = 1_048_576;

/**
 * Old-space limit of each V8 heap: WORKER_MEMORY_BUDGET at its default (128 MiB), the process's
 * own heap (about 60 MiB) and the process-batch activities' working memory, with room to spare:
 * nearer the live data, V8 spends the drain's time collecting.
 */
export const WORKER_OLD_SPACE_MIB = 512;

export const WORKER_NODE_FLAGS = [`--max-old-space-size=${WORKER_OLD_SPACE_MIB}`] as const;

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
