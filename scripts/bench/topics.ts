// Benchmark topics: created with a fixed partition count, pre-filled as fast as the broker takes
// them (not rate-limited), and deleted afterwards. Every scenario gets its own topic; topics meant
// to hold "the same data" are filled with the same messages (same keys, so the same partitions).

import { Partitioners, type Admin, type Kafka } from 'kafkajs';
import { makeMessage } from '../../src/producer/rate-producer';

const CHUNK = 5_000;
const IN_FLIGHT = 4;

export async function createTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
}

/** Writes messages 0..count-1 (makeMessage) to `topic`; returns the seconds it took. */
export async function prefill(kafka: Kafka, topic: string, count: number, messageBytes: number): Promise<number> {
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = Date.now();
  try {
    let next = 0;
    const sendChunks = async () => {
      while (next < count) {
        const first = next;
        const n = Math.min(CHUNK, count - first);
        next += n;
        const now = Date.now();
        const messages = Array.from({ length: n }, (_, i) => makeMessage(first + i, messageBytes, now));
        await producer.send({ topic, messages });
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, sendChunks));
  } finally {
    await producer.disconnect();
  }
  return (Date.now() - started) / 1000;
}

/** Deletes the topics that exist among `topics` (a dead-letter topic may never have been made). */
export async function deleteTopics(admin: Admin, topics: string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const mine = topics.filter((t) => existing.has(t));
  if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 30_000 }).catch(() => undefined);
}
