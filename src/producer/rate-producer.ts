// Publishes keyed JSON messages at a fixed rate. The rate is held by a schedule, not a sleep per
// message: every few milliseconds it sends whatever the clock says is due, in one request, so the
// achieved rate tracks the desired one even when a send is slow.

import type { KafkaClient, OutgoingRecord } from '../kafka/port';

export interface RateProducerOptions {
  topic: string;
  ratePerSecond: number;
  /** Stop after this many messages; 0 means until stop(). */
  count: number;
  /** Approximate size of each JSON value. */
  messageBytes: number;
  /** First sequence number (tests that produce twice keep numbers unique). */
  firstSeq?: number;
  /**
   * Idempotent sends: a send retried after a lost acknowledgement (e.g. across a broker restart)
   * does not write its messages twice. Tests that count every message once need it.
   */
  idempotent?: boolean;
}

export interface ProducerStats {
  sent: number;
  seconds: number;
  desiredRate: number;
  achievedRate: number;
}

/** The body of message `seq`: JSON with its sequence number and produce time, padded to size. */
export function makeMessage(seq: number, messageBytes: number, now = Date.now()): OutgoingRecord {
  const head = { seq, producedAt: now, payload: '' };
  const padding = Math.max(0, messageBytes - JSON.stringify(head).length);
  head.payload = 'x'.repeat(padding);
  return { key: `key-${seq}`, value: JSON.stringify(head) };
}

const MAX_MESSAGES_PER_REQUEST = 5_000;
const TICK_MS = 5;

export class RateProducer {
  private stopped = false;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly options: RateProducerOptions,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  async run(onProgress?: (stats: ProducerStats) => void): Promise<ProducerStats> {
    const { topic, ratePerSecond, count, messageBytes } = this.options;
    const firstSeq = this.options.firstSeq ?? 0;
    const producer = this.kafka.publisher({ idempotent: this.options.idempotent });
    const started = Date.now();
    let sent = 0;
    const stats = (): ProducerStats => {
      const seconds = (Date.now() - started) / 1000;
      return { sent, seconds, desiredRate: ratePerSecond, achievedRate: seconds > 0 ? sent / seconds : 0 };
    };
    const progress = onProgress ? setInterval(() => onProgress(stats()), 1_000) : undefined;
    try {
      while (!this.stopped && (count === 0 || sent < count)) {
        let due = Math.floor(((Date.now() - started) / 1000) * ratePerSecond) - sent;
        if (count > 0) due = Math.min(due, count - sent);
        if (due <= 0) {
          await new Promise((resolve) => setTimeout(resolve, TICK_MS));
          continue;
        }
        const n = Math.min(due, MAX_MESSAGES_PER_REQUEST);
        const now = Date.now();
        const messages = Array.from({ length: n }, (_, i) => makeMessage(firstSeq + sent + i, messageBytes, now));
        await producer.send(topic, messages);
        sent += n;
      }
    } finally {
      if (progress) clearInterval(progress);
      await producer.close();
    }
    return stats();
  }
}
