// The ceiling: what this machine does without Temporal. A bare group consumer of the Kafka client
// (the port's thinnest path: no buffer, no Temporal; fresh group, from the beginning) reads the pre-filled topic and writes the same rows through the same sink
// code the workers use (SqliteSink, on the consumer's own thread where the workers give it one of
// its own; or PostgresSink with its COPY and ON CONFLICT), one batch at a time, cut into batches by the same limits (MAX_BATCH_SIZE records / MAX_BATCH_BYTES per
// partition), after the same transform. The read-only figure is the same consumer doing nothing
// per record.

import type { KafkaClient, KafkaRecord } from '../../src/kafka/port';
import { transform } from '../../src/processing/transform';
import type { Sink, SinkRow } from '../../src/sink';

/**
 * Roughly what the pipeline's exact count (messageBytes in src/batch.ts: a record's JSON, escapes
 * included) adds to a produced record's key and value: field names, offset, timestamp and the
 * escaped quotes of a JSON value. Close enough to cut batches of the same size without paying for
 * the pipeline's decoding here.
 */
const RECORD_JSON_OVERHEAD_BYTES = 100;

export interface CeilingOptions {
  topic: string;
  groupId: string;
  messages: number;
  /**
   * Write into this sink (closed when done); without it the consumer only counts records (the
   * read-only figure).
   */
  sink?: Sink;
  maxBatchSize: number;
  maxBatchBytes: number;
  timeoutMs: number;
}

export interface CeilingResult {
  seconds: number;
  messagesPerSecond: number;
  writes: number;
}

export async function runCeiling(kafka: KafkaClient, o: CeilingOptions): Promise<CeilingResult> {
  const sink = o.sink;
  const pending = new Map<number, { rows: SinkRow[]; bytes: number }>();
  let seen = 0;
  let stored = 0;
  let writes = 0;
  let finished!: () => void;
  let failed!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => ((finished = resolve), (failed = reject)));
  const timer = setTimeout(
    () => failed(new Error(`ceiling did not finish within ${o.timeoutMs / 1000}s (${stored} of ${o.messages})`)),
    o.timeoutMs,
  );

  const flush = async (partition: number) => {
    const p = pending.get(partition);
    if (!sink || !p || p.rows.length === 0) return;
    pending.set(partition, { rows: [], bytes: 0 });
    await sink.write(p.rows);
    writes++;
    stored += p.rows.length;
  };

  // It commits nothing: its group is fresh each time, and a commit per batch is not what a bare
  // consumer's figure should include.
  const consumer = kafka.groupConsumer({
    topic: o.topic,
    groupId: o.groupId,
    fromBeginning: true,
    sessionTimeoutMs: 30_000,
    onFailed: failed,
    onRecords: async ({ partition, records }) => {
      for (const m of records) {
        seen++;
        if (sink) {
          const row = toRow(o.topic, partition, m);
          const bytes = RECORD_JSON_OVERHEAD_BYTES + (m.key?.length ?? 0) + (m.value?.length ?? 0);
          let p = pending.get(partition);
          if (!p || p.rows.length >= o.maxBatchSize || p.bytes + bytes > o.maxBatchBytes) {
            await flush(partition);
            p = pending.get(partition) ?? { rows: [], bytes: 0 };
            pending.set(partition, p);
          }
          p.rows.push(row);
          p.bytes += bytes;
        }
      }
      if (seen >= o.messages && sink) for (const p of pending.keys()) await flush(p);
      if ((sink ? stored : seen) >= o.messages) finished();
      return records.length;
    },
  });

  const started = Date.now();
  try {
    await consumer.start();
    await done;
    const seconds = (Date.now() - started) / 1000;
    return { seconds, messagesPerSecond: o.messages / seconds, writes };
  } finally {
    clearTimeout(timer);
    await consumer.stop().catch(() => undefined);
    await sink?.close();
  }
}

function toRow(topic: string, partition: number, m: KafkaRecord): SinkRow {
  const valueText = m.value?.toString('utf8');
  const out = transform({
    topic,
    partition,
    offset: m.offset,
    key: m.key?.toString('utf8') ?? null,
    valueText,
    rawValue: m.value,
    headers: {},
    timestamp: Number(m.timestamp),
  });
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key?.toString('utf8') ?? null,
    payload: out.payload === null || out.payload === undefined ? null : JSON.stringify(out.payload),
    producedAt: out.producedAt ?? null,
    kafkaTimestamp: Number(m.timestamp),
    runId: 'ceiling',
  };
}
