// Reading the dead-letter topic back, and replaying its records after a fix (`npm run dlq`).
// Listing reads everything from the start and commits nothing. Replaying publishes each record's
// original key, value and headers (without the dlq.* ones) to the source topic or another, and
// commits its progress in a consumer group of its own, so a replay that is run again (or resumed
// after a crash) sends only what it has not sent yet.

import { Partitioners, type Kafka, type KafkaMessage } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { DLQ_HEADERS } from './dead-letter';

export interface DeadLetterRecord {
  dlqPartition: number;
  dlqOffset: string;
  sourceTopic: string;
  sourcePartition: string;
  sourceOffset: string;
  error: string;
  errorType: string;
  attempts: string;
  runId: string;
  failedAt: string;
  key: Buffer | null;
  value: Buffer | null;
  /** The record's own headers, without the dlq.* ones. */
  headers: Record<string, Buffer>;
}

const DLQ_HEADER_NAMES = new Set<string>(Object.values(DLQ_HEADERS));

function toRecord(partition: number, m: KafkaMessage): DeadLetterRecord {
  const text = (name: string) => m.headers?.[name]?.toString() ?? '';
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(m.headers ?? {})) {
    if (DLQ_HEADER_NAMES.has(name) || value === undefined) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    headers[name] = Buffer.isBuffer(last) ? last : Buffer.from(String(last));
  }
  return {
    dlqPartition: partition,
    dlqOffset: m.offset,
    sourceTopic: text(DLQ_HEADERS.topic),
    sourcePartition: text(DLQ_HEADERS.partition),
    sourceOffset: text(DLQ_HEADERS.offset),
    error: text(DLQ_HEADERS.error),
    errorType: text(DLQ_HEADERS.errorType),
    attempts: text(DLQ_HEADERS.attempts),
    runId: text(DLQ_HEADERS.run),
    failedAt: text(DLQ_HEADERS.failedAt),
    key: m.key,
    value: m.value,
    headers,
  };
}

/**
 * Reads `topic` with consumer group `groupId` from its committed offsets (or the start) up to the
 * end the topic had when the call began, handing each record to `handle`. With `commit`, progress
 * is committed after each handled batch.
 */
async function readToEnd(
  kafka: Kafka,
  topic: string,
  groupId: string,
  commit: boolean,
  handle: (records: DeadLetterRecord[]) => Promise<void>,
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  let starts: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const low = new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
    starts = new Map(
      (committed[0]?.partitions ?? []).map((p) => [
        p.partition,
        p.offset === '-1' ? low.get(p.partition)! : BigInt(p.offset),
      ]),
    );
  } finally {
    await admin.disconnect();
  }
  const remaining = new Set([...ends].filter(([p, end]) => (starts.get(p) ?? 0n) < end).map(([p]) => p));
  if (remaining.size === 0) return 0;

  const consumer = kafka.consumer({ groupId });
  let count = 0;
  let failure: unknown;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const done = new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition) ?? 0n;
            const messages = batch.messages.filter((m) => BigInt(m.offset) < end);
            if (messages.length > 0) {
              await handle(messages.map((m) => toRecord(batch.partition, m)));
              count += messages.length;
              const next = (BigInt(messages[messages.length - 1]!.offset) + 1n).toString();
              if (commit) await consumer.commitOffsets([{ topic, partition: batch.partition, offset: next }]);
              if (BigInt(next) >= end) remaining.delete(batch.partition);
            }
            if (messages.length < batch.messages.length) remaining.delete(batch.partition);
            if (remaining.size === 0) resolve();
          },
        })
        .catch(reject);
    });
    await done;
  } catch (err) {
    failure = err;
  } finally {
    await consumer.disconnect();
  }
  if (failure) throw failure;
  return count;
}

/** Every record now in the dead-letter topic, oldest first per partition. Commits nothing. */
export async function listDeadLetters(kafka: Kafka, dlqTopic: string): Promise<DeadLetterRecord[]> {
  const records: DeadLetterRecord[] = [];
  const readerGroup = `${dlqTopic}-list-${randomBytes(4).toString('hex')}`;
  await readToEnd(kafka, dlqTopic, readerGroup, false, async (batch) => void records.push(...batch));
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([readerGroup]).catch(() => undefined);
  await admin.disconnect();
  return records;
}

export interface ReplayOptions {
  dlqTopic: string;
  /** Where to publish; by default each record goes back to the topic it came from. */
  to?: string;
  /** The consumer group that remembers what was replayed already. */
  groupId?: string;
}

/** Publishes dead letters not replayed yet; returns how many it sent. */
export async function replayDeadLetters(kafka: Kafka, options: ReplayOptions): Promise<number> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    return await readToEnd(
      kafka,
      options.dlqTopic,
      options.groupId ?? `${options.dlqTopic}-replay`,
      true,
      async (records) => {
        const byTopic = new Map<string, DeadLetterRecord[]>();
        for (const r of records) {
          const target = options.to ?? r.sourceTopic;
          if (!target)
            throw new Error(`dead letter at ${r.dlqPartition}/${r.dlqOffset} names no source topic; use --to`);
          byTopic.set(target, [...(byTopic.get(target) ?? []), r]);
        }
        for (const [topic, list] of byTopic) {
          await producer.send({
            topic,
            acks: -1,
            messages: list.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
          });
        }
      },
    );
  } finally {
    await producer.disconnect();
  }
}
