// How `npm run worker` starts Node (src/workers/runtime-flags.ts): package.json says the same, and
// the heap limit it sets leaves room for the default memory budget.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import {
  HEAP_BESIDE_BUDGET_BYTES,
  heapLimitWarning,
  WORKER_ENV,
  WORKER_NODE_FLAGS,
  WORKER_OLD_SPACE_MIB,
} from '../../src/workers/runtime-flags';

const MiB = 1_048_576;

describe("the worker's Node flags", () => {
  it('are the ones package.json\'s "worker" script starts node with', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const script = pkg.scripts.worker!;
    for (const flag of WORKER_NODE_FLAGS) expect(script).toContain(` ${flag} `);
    for (const [name, value] of Object.entries(WORKER_ENV)) expect(script).toContain(`${name}=\${${name}:-${value}}`);
  });

  it('leave room in the heap for the default memory budget', () => {
    const budget = loadConfig({}).workerMemoryBudget;
    expect(WORKER_OLD_SPACE_MIB * MiB).toBeGreaterThanOrEqual(budget + HEAP_BESIDE_BUDGET_BYTES);
    expect(heapLimitWarning(budget, WORKER_OLD_SPACE_MIB * MiB)).toBeUndefined();
  });

  it('warn, naming WORKER_MEMORY_BUDGET, when the heap limit is below the budget and what the process needs', () => {
    const warning = heapLimitWarning(512 * MiB, WORKER_OLD_SPACE_MIB * MiB);
    expect(warning).toContain('WORKER_MEMORY_BUDGET');
    expect(warning).toContain('--max-old-space-size=704');
  });
});
