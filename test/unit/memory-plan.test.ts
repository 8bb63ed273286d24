// How a worker splits WORKER_MEMORY_BUDGET (src/workers/memory-plan.ts).

import { describe, expect, it } from 'vitest';
import { planMemory, type MemoryPlan } from '../../src/workers/memory-plan';

const MiB = 1_048_576;

/** Heap bytes the plan lets the process hold at most (fetched records weigh twice their bytes). */
function planned(p: MemoryPlan, consumers: number): number {
  return consumers * (2 * p.fetchMaxBytes + p.bufferShareBytes) + p.bufferPoolBytes + p.cacheBytes;
}

describe('the memory plan', () => {
  it('splits the budget 1/8 fetches, 3/8 buffers (half own shares, half a shared pool), 1/2 cache', () => {
    const p = planMemory({ budgetBytes: 128 * MiB, sensorReplicas: 4, consumes: true, caches: true });
    expect(p.cacheBytes).toBe(64 * MiB);
    expect(p.bufferShareBytes * 4).toBe(24 * MiB);
    expect(p.bufferPoolBytes).toBe(24 * MiB);
    expect(p.fetchMaxBytes).toBe(2 * MiB); // 16 MiB / 4 consumers / 2 (a fetched record's weight)
    expect(p.fetchMaxBytesPerPartition).toBe(MiB);
  });

  it.each([
    [16 * MiB, 1],
    [64 * MiB, 6],
    [128 * MiB, 6],
    [256 * MiB, 7],
    [1024 * MiB, 1000],
  ])('stays within a budget of %d bytes with %d replicas all in one process', (budgetBytes, sensorReplicas) => {
    const p = planMemory({ budgetBytes, sensorReplicas, consumes: true, caches: true });
    // Fetches have a floor (64 KiB): with very many replicas on a small budget they pass their eighth.
    const floorExcess = Math.max(0, sensorReplicas * 2 * p.fetchMaxBytes - budgetBytes / 8);
    expect(planned(p, sensorReplicas)).toBeLessThanOrEqual(budgetBytes + floorExcess);
    expect(p.fetchMaxBytesPerPartition).toBeLessThanOrEqual(p.fetchMaxBytes);
  });

  it('gives nothing to buffers and fetches without the sensor role, nor to the cache without runs', () => {
    const runsOnly = planMemory({ budgetBytes: 64 * MiB, sensorReplicas: 6, consumes: false, caches: true });
    expect(runsOnly.bufferShareBytes + runsOnly.bufferPoolBytes).toBe(0);
    expect(runsOnly.cacheBytes).toBe(32 * MiB);
    const sensorOnly = planMemory({ budgetBytes: 64 * MiB, sensorReplicas: 6, consumes: true, caches: false });
    expect(sensorOnly.cacheBytes).toBe(0);
    expect(sensorOnly.bufferPoolBytes).toBeGreaterThan(0);
  });
});
