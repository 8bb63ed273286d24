// Benchmark topics (created with the admin's ensureTopic): pre-filled as fast as the broker takes
// them (not rate-limited), and deleted afterwards. Every scenario gets its own topic; topics meant
// to hold "the same data" are filled with the same messages (same keys, so the same partitions).

import type { KafkaAdmin, KafkaClient, OutgoingRecord } from '../../src/kafka/port';
import { makeMessage } from '../../src/producer/rate-producer';

const CHUNK = 5_000;
const IN_FLIGHT = 4;

/**
 * How the JSON values are padded to size: `repeat` as `npm run producer` does ("xxxx…", which
 * compresses about 50×, flattering a compression codec), or `words`: words drawn from a small
 * vocabulary by a fixed pseudo-random sequence, which compresses about as well as typical event
 * JSON (3–4× at zlib level 1). Both are the same for every scenario of a run.
 */
export type Padding = 'repeat' | 'words';

const WORDS =
  'order user item price cart click view page session device region country city amount currency status paid shipped open closed mobile desktop tablet search result query filter sort promo coupon refund'.split(
    ' ',
  );

function benchMessage(seq: number, messageBytes: number, now: number, padding: Padding): OutgoingRecord {
  const m = makeMessage(seq, messageBytes, now);
  if (padding === 'repeat') return m;
  const head = JSON.parse(m.value as string) as { payload: string };
  // A small linear congruential generator seeded by the sequence number: same text every run.
  let x = (seq * 2654435761) >>> 0;
  const out: string[] = [];
  let length = 0;
  while (length < head.payload.length) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const w = `${WORDS[x % WORDS.length]}${x % 7 === 0 ? (x >>> 8) % 1000 : ''}`;
    out.push(w);
    length += w.length + 1;
  }
  head.payload = out.join(' ').slice(0, head.payload.length);
  return { ...m, value: JSON.stringify(head) };
}

/** Writes messages 0..count-1 (makeMessage, padded per `padding`) to `topic`; returns the seconds it took. */
export async function prefill(
  kafka: KafkaClient,
  topic: string,
  count: number,
  messageBytes: number,
  padding: Padding,
): Promise<number> {
  const producer = kafka.publisher();
  const started = Date.now();
  try {
    let next = 0;
    const sendChunks = async () => {
      while (next < count) {
        const first = next;
        const n = Math.min(CHUNK, count - first);
        next += n;
        const now = Date.now();
        const messages = Array.from({ length: n }, (_, i) => benchMessage(first + i, messageBytes, now, padding));
        await producer.send(topic, messages);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, sendChunks));
  } finally {
    await producer.close();
  }
  return (Date.now() - started) / 1000;
}

/** Deletes the topics that exist among `topics` (a dead-letter topic may never have been made). */
export async function deleteTopics(admin: KafkaAdmin, topics: string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  for (const topic of topics.filter((t) => existing.has(t))) await admin.deleteTopic(topic).catch(() => undefined);
}
