// The ceiling: what this machine does without Temporal. A bare kafkajs consumer (fresh group,
// from the beginning) reads the pre-filled topic and writes the same rows through the same sink
// class the workers use (SqliteSink, or PostgresSink with its COPY and ON CONFLICT), one batch at a
// time, cut into batches by the same limits (MAX_BATCH_SIZE records / MAX_BATCH_BYTES per
// partition), after the same transform. The read-only figure is the same consumer doing nothing
// per record.

import type { Kafka, KafkaMessage } from 'kafkajs';
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

export async function runCeiling(kafka: Kafka, o: CeilingOptions): Promise<CeilingResult> {
  const sink = o.sink;
  const consumer = kafka.consumer({ groupId: o.groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000 });
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

  const started = Date.now();
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [o.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      eachBatch: async ({ batch, heartbeat }) => {
        for (const m of batch.messages) {
          seen++;
          if (sink) {
            const row = toRow(o.topic, batch.partition, m);
            const bytes = RECORD_JSON_OVERHEAD_BYTES + (m.key?.length ?? 0) + (m.value?.length ?? 0);
            let p = pending.get(batch.partition);
            if (!p || p.rows.length >= o.maxBatchSize || p.bytes + bytes > o.maxBatchBytes) {
              await flush(batch.partition);
              p = pending.get(batch.partition) ?? { rows: [], bytes: 0 };
              pending.set(batch.partition, p);
            }
            p.rows.push(row);
            p.bytes += bytes;
          }
        }
        if (seen >= o.messages && sink) for (const partition of pending.keys()) await flush(partition);
        await heartbeat();
        if ((sink ? stored : seen) >= o.messages) finished();
      },
    });
    await done;
    const seconds = (Date.now() - started) / 1000;
    return { seconds, messagesPerSecond: o.messages / seconds, writes };
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    await sink?.close();
  }
}

function toRow(topic: string, partition: number, m: KafkaMessage): SinkRow {
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
