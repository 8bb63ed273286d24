// The memory every sensor consumer of this worker process draws on together: one count of heap
// bytes (src/kafka/record-weight.ts) with a limit, shared by the consumers' record buffers
// (./record-buffer.ts). Each buffer also has a share of its own that needs nothing from the pool, so
// a consumer whose sensor stopped taking records (its runs in flight at their limit, say) can hold
// up the others only within the pool, never starve them. Pure, so unit-tested without Kafka
// (test/unit/byte-pool.test.ts); src/workers/memory-plan.ts sizes it from WORKER_MEMORY_BUDGET.

import { Signal } from './signal';

export class BytePool {
  private used = 0;
  private readonly freed = new Signal();

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes `bytes` if they fit under the limit; `force` takes them anyway (a buffer's first record). */
  take(bytes: number, force = false): boolean {
    if (!force && this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    if (bytes <= 0) return;
    this.used = Math.max(0, this.used - bytes);
    this.freed.notify();
  }

  /** Resolves when bytes are given back, or after `ms`: for a fetch loop waiting for room. */
  waitForRoom(ms: number): Promise<void> {
    return this.freed.wait(ms);
  }
}
