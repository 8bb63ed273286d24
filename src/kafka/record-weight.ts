// What a record held in this worker's memory weighs, in heap bytes: the unit of the worker's memory
// budget (WORKER_MEMORY_BUDGET, split by src/workers/memory-plan.ts). The byte caps of batches
// (MAX_BATCH_BYTES) count a record as it travels in a Temporal payload, its JSON in UTF-8
// (src/batch.ts messageBytes); in memory the same record is a JS object with strings for its offset,
// timestamp, key and value, a headers object, and its slot in a buffer or batch. The strings'
// characters weigh at most their JSON bytes (V8 keeps Latin-1 text one byte per character and
// other text two; JSON counts two to four bytes per such character, six per escape), so the heap
// weight is the JSON bytes plus a fixed cost per record, measured with
// `node --expose-gc --import tsx scripts/bench/record-heap.ts` (docs/BENCHMARKS.md, "Memory").

/**
 * Heap bytes of a buffered record beyond its JSON bytes: objects, string headers, pointers. Measured
 * about 200 bytes per record plus about 30 per Kafka header (a record of a 200-byte value weighs
 * 1.6-1.7 times its JSON); 256 covers records with a couple of headers.
 */
export const RECORD_HEAP_OVERHEAD_BYTES = 256;

/** Heap bytes of a record whose JSON weighs `jsonBytes` (a BufferedRecord's `bytes`). */
export function recordHeapBytes(jsonBytes: number): number {
  return jsonBytes + RECORD_HEAP_OVERHEAD_BYTES;
}

/** Heap bytes of `count` records whose JSON weighs `jsonBytes` in all (a batch, a run of a buffer). */
export function recordsHeapBytes(count: number, jsonBytes: number): number {
  return jsonBytes + count * RECORD_HEAP_OVERHEAD_BYTES;
}
