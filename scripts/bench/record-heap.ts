// Measures what a buffered record really occupies on the V8 heap, against the bytes the byte caps
// count (its JSON in UTF-8, src/batch.ts messageBytes): the factor behind RECORD_HEAP_OVERHEAD_BYTES
// in src/kafka/record-weight.ts. Run with `node --expose-gc --import tsx scripts/bench/record-heap.ts`.
// It decodes N records as a client hands them over (Buffers) into batch messages, as the sensor
// consumer does, keeps them, and compares the heap before and after.

import { messageBytes } from '../../src/batch';
import { toBatchMessage } from '../../src/kafka/encoding';
import { recordHeapBytes } from '../../src/kafka/record-weight';

const N = 100_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function measure(valueBytes: number, withHeaders: boolean): void {
  gc!();
  gc!();
  const before = process.memoryUsage();
  const kept: Array<{ message: ReturnType<typeof toBatchMessage>; bytes: number; heapBytes: number }> = [];
  let json = 0;
  let estimated = 0;
  for (let i = 0; i < N; i++) {
    const value = JSON.stringify({ seq: i, producedAt: Date.now(), payload: 'x'.repeat(Math.max(0, valueBytes - 50)) });
    const message = toBatchMessage({
      offset: String(1_000_000 + i),
      key: Buffer.from(`key-${i}`),
      value: Buffer.from(value),
      headers: withHeaders ? { source: Buffer.from('bench'), trace: Buffer.from(`t-${i}`) } : undefined,
      timestamp: String(Date.now()),
    });
    const bytes = messageBytes(message);
    json += bytes;
    const heapBytes = recordHeapBytes(bytes);
    estimated += heapBytes;
    kept.push({ message, bytes, heapBytes });
  }
  gc!();
  gc!();
  const after = process.memoryUsage();
  const heap = after.heapUsed - before.heapUsed;
  const rss = after.rss - before.rss;
  console.log(
    JSON.stringify({
      valueBytes,
      withHeaders,
      jsonPerRecord: Math.round(json / N),
      heapPerRecord: Math.round(heap / N),
      rssPerRecord: Math.round(rss / N),
      heapOverJson: +(heap / json).toFixed(2),
      heapMinusJson: Math.round((heap - json) / N),
      estimatedOverHeap: +(estimated / heap).toFixed(2),
      kept: kept.length,
    }),
  );
}

for (const size of [50, 200, 1_000, 4_000]) {
  measure(size, false);
  measure(size, true);
}
