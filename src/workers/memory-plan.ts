// How one worker process splits its memory budget (WORKER_MEMORY_BUDGET, heap bytes as
// src/kafka/record-weight.ts counts them) among what it holds of the stream:
//
// - Kafka fetches, 1/8: every consumer of the process (SENSOR_REPLICAS of them at most) may have one
//   fetch in hand while its buffer is full; the client keeps a fetched record as a Buffer slice in
//   an object about as heavy again as its bytes, so a consumer's fetch size is its part of the
//   eighth, halved. At most 1 MiB per partition, the clients' usual value.
// - record buffers, 3/8: half as an own share per consumer (which no other consumer can take), half
//   as a pool all of them draw on (src/kafka/byte-pool.ts). Beyond it, fetching waits and records
//   stay in Kafka as lag.
// - the batch cache, 1/2: records of batches handed to runs and not yet loaded (src/kafka/batch-cache.ts).
//   Beyond it a batch is not kept and its run reads it back from Kafka; the consume activity first
//   waits a little for room.
//
// A process without the sensor role fetches nothing, and one without the runs role caches nothing:
// their parts go unused. Not counted: the process itself (Node, the Temporal SDK and its workflow
// threads, about 230-270 MiB of RSS idle, docs/BENCHMARKS.md "Memory"), and the working memory of the
// process-batch activities running (a loaded batch's transformed rows), bounded by
// MAX_CONCURRENT_RUNS × MAX_BATCH_BYTES.

export interface MemoryPlanInput {
  /** WORKER_MEMORY_BUDGET. */
  budgetBytes: number;
  /** SENSOR_REPLICAS: the most consumers one process may hold. */
  sensorReplicas: number;
  /** The process consumes (WORKER_ROLES has sensor). */
  consumes: boolean;
  /** The process loads batches and keeps their records (WORKER_ROLES has runs, BATCH_PAYLOAD=offsets). */
  caches: boolean;
}

export interface MemoryPlan {
  /** Most bytes one consumer's fetch returns, all partitions together. */
  fetchMaxBytes: number;
  /** Most bytes one consumer's fetch returns per partition. */
  fetchMaxBytesPerPartition: number;
  /** Each consumer's own share of the buffers, heap bytes. */
  bufferShareBytes: number;
  /** The pool all buffers of the process share beyond their own shares, heap bytes. */
  bufferPoolBytes: number;
  /** The batch cache, heap bytes. */
  cacheBytes: number;
}

const MiB = 1_048_576;
/** A fetch smaller than this costs round trips without saving memory worth having. */
const MIN_FETCH_BYTES = 64 * 1024;
/** Heap a fetched record takes in the client, per byte fetched (see the fetch rule above). */
const FETCH_HEAP_PER_BYTE = 2;

export function planMemory(input: MemoryPlanInput): MemoryPlan {
  const { budgetBytes, sensorReplicas, consumes, caches } = input;
  const fetchPart = consumes ? Math.floor(budgetBytes / 8) : 0;
  const buffersPart = consumes ? Math.floor((budgetBytes * 3) / 8) : 0;
  const fetchMaxBytes = Math.max(MIN_FETCH_BYTES, Math.floor(fetchPart / sensorReplicas / FETCH_HEAP_PER_BYTE));
  const bufferShareBytes = Math.floor(buffersPart / 2 / sensorReplicas);
  return {
    fetchMaxBytes,
    fetchMaxBytesPerPartition: Math.min(fetchMaxBytes, MiB),
    bufferShareBytes,
    // The rest of the buffers' part, rounding included.
    bufferPoolBytes: buffersPart - bufferShareBytes * sensorReplicas,
    cacheBytes: caches ? Math.floor(budgetBytes / 2) : 0,
  };
}
