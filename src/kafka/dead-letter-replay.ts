// Reading the dead-letter topic back, and replaying its records after a fix (`npm run dlq`).
// The topic may hold a source record more than once (a retried activity published it again); both
// show and send each source record once (./dead-letter-identity.ts says when two are the same).
// Listing reads everything from the start and commits nothing. Replaying publishes each record's
// original key, value and headers (without the dlq.* ones) to the source topic or another, and
// commits its progress in a consumer group of its own, so a replay that is run again (or resumed
// after a crash) sends only what it has not sent yet, including a copy that arrived after the
// original was replayed.

import { randomBytes } from 'node:crypto';
import { DLQ_HEADERS } from './dead-letter';
import {
  deadLetterKey,
  distinctDeadLetters,
  type DeadLetterCopies,
  type DeadLetterOrigin,
} from './dead-letter-identity';
import type { KafkaClient, KafkaRecord } from './port';

export interface DeadLetterRecord extends DeadLetterOrigin, DeadLetterCopies {
  error: string;
  errorType: string;
  attempts: string;
  failedAt: string;
  key: Buffer | null;
  value: Buffer | null;
  /** The record's own headers, without the dlq.* ones. */
  headers: Record<string, Buffer>;
}

const DLQ_HEADER_NAMES = new Set<string>(Object.values(DLQ_HEADERS));

function toRecord(partition: number, m: KafkaRecord): DeadLetterRecord {
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
    // Letters from before the header carry the source's timestamp as their own.
    sourceTimestamp: text(DLQ_HEADERS.timestamp) || m.timestamp,
    error: text(DLQ_HEADERS.error),
    errorType: text(DLQ_HEADERS.errorType),
    attempts: text(DLQ_HEADERS.attempts),
    runId: text(DLQ_HEADERS.run),
    failedAt: text(DLQ_HEADERS.failedAt),
    key: m.key,
    value: m.value,
    headers,
    copies: 1,
    otherRuns: [],
  };
}

/**
 * Reads `topic` with consumer group `groupId` from its committed offsets (or the start) up to the
 * end the topic had when the call began, handing each record to `handle`. With `commit`, progress
 * is committed after each handled batch.
 */
async function readToEnd(
  kafka: KafkaClient,
  topic: string,
  groupId: string,
  commit: boolean,
  handle: (records: DeadLetterRecord[]) => Promise<void>,
): Promise<number> {
  const admin = await kafka.admin();
  let ends: Map<number, bigint>;
  let starts: Map<number, bigint>;
  try {
    const bounds = await admin.partitionBounds(topic);
    const committed = await admin.committedOffsets(groupId, topic);
    ends = new Map(bounds.map((b) => [b.partition, BigInt(b.high)]));
    starts = new Map(bounds.map((b) => [b.partition, BigInt(committed.get(b.partition) ?? b.low)]));
  } finally {
    await admin.close();
  }
  const remaining = new Set([...ends].filter(([p, end]) => (starts.get(p) ?? 0n) < end).map(([p]) => p));
  if (remaining.size === 0) return 0;

  let count = 0;
  let finished!: () => void;
  let failed!: (error: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const consumer = kafka.groupConsumer({
    topic,
    groupId,
    fromBeginning: true,
    sessionTimeoutMs: 30_000,
    onFailed: failed,
    onRecords: async ({ partition, records }) => {
      try {
        const end = ends.get(partition) ?? 0n;
        const before = records.filter((m) => BigInt(m.offset) < end);
        if (before.length > 0) {
          await handle(before.map((m) => toRecord(partition, m)));
          count += before.length;
          const next = (BigInt(before[before.length - 1]!.offset) + 1n).toString();
          if (commit) await consumer.commit([{ partition, offset: next }]);
          if (BigInt(next) >= end) remaining.delete(partition);
        }
        if (before.length < records.length) remaining.delete(partition);
        if (remaining.size === 0) finished();
        return records.length;
      } catch (err) {
        // Not the client's retry: a letter that names no topic fails the same way every time.
        failed(err as Error);
        return 0;
      }
    },
  });
  try {
    await consumer.start();
    await done;
  } finally {
    await consumer.stop();
  }
  return count;
}

/** Every record now in the dead-letter topic, copies included, oldest first per partition. Commits nothing. */
async function readAllDeadLetters(kafka: KafkaClient, dlqTopic: string): Promise<DeadLetterRecord[]> {
  const records: DeadLetterRecord[] = [];
  const readerGroup = `${dlqTopic}-list-${randomBytes(4).toString('hex')}`;
  await readToEnd(kafka, dlqTopic, readerGroup, false, async (batch) => void records.push(...batch));
  const admin = await kafka.admin();
  await admin.deleteGroups([readerGroup]).finally(() => admin.close());
  return records;
}

/**
 * The dead letters now in the topic, one per source record (the first copy, with how many copies
 * there are and which other runs sent one), oldest first per partition. Commits nothing.
 */
export async function listDeadLetters(kafka: KafkaClient, dlqTopic: string): Promise<DeadLetterRecord[]> {
  return distinctDeadLetters(await readAllDeadLetters(kafka, dlqTopic));
}

export interface ReplayOptions {
  dlqTopic: string;
  /** Where to publish; by default each record goes back to the topic it came from. */
  to?: string;
  /** The consumer group that remembers what was replayed already. */
  groupId?: string;
}

export interface ReplayResult {
  /** Records published. */
  sent: number;
  /** Dead letters skipped as copies of a record sent now or by an earlier replay. */
  copies: number;
}

/** Publishes the dead letters not replayed yet, each source record once. */
export async function replayDeadLetters(kafka: KafkaClient, options: ReplayOptions): Promise<ReplayResult> {
  const groupId = options.groupId ?? `${options.dlqTopic}-replay`;
  // What earlier replays sent: every letter below the group's committed offsets. A copy may sit in
  // another partition of the topic, or arrive after its original was replayed (a retry that ran
  // late), so the whole topic is read first, not only what this replay will send.
  const done = await committedOffsets(kafka, options.dlqTopic, groupId);
  const replayed = new Set<string>();
  for (const r of await readAllDeadLetters(kafka, options.dlqTopic)) {
    if (BigInt(r.dlqOffset) < (done.get(r.dlqPartition) ?? 0n)) replayed.add(deadLetterKey(r));
  }

  const producer = kafka.publisher();
  const result: ReplayResult = { sent: 0, copies: 0 };
  try {
    await readToEnd(kafka, options.dlqTopic, groupId, true, async (records) => {
      const byTopic = new Map<string, DeadLetterRecord[]>();
      for (const r of records) {
        const key = deadLetterKey(r);
        if (replayed.has(key)) {
          result.copies++;
          continue;
        }
        replayed.add(key);
        const target = options.to ?? r.sourceTopic;
        if (!target) throw new Error(`dead letter at ${r.dlqPartition}/${r.dlqOffset} names no source topic; use --to`);
        byTopic.set(target, [...(byTopic.get(target) ?? []), r]);
      }
      for (const [topic, list] of byTopic) {
        await producer.send(
          topic,
          list.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
        );
        result.sent += list.length;
      }
    });
    return result;
  } finally {
    await producer.close();
  }
}

/** The group's committed offset per partition of `topic` (partitions with none are absent). */
async function committedOffsets(kafka: KafkaClient, topic: string, groupId: string): Promise<Map<number, bigint>> {
  const admin = await kafka.admin();
  try {
    const committed = await admin.committedOffsets(groupId, topic);
    return new Map([...committed].map(([partition, offset]) => [partition, BigInt(offset)]));
  } finally {
    await admin.close();
  }
}
