// The port's publisher (../port.ts) on a kafkajs producer: the dead-letter topic, `npm run producer`
// and the dead-letter replay write through it.

import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { OutgoingRecord, PublisherOptions, RecordPublisher } from '../port';

export class KafkajsPublisher implements RecordPublisher {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(kafka: Kafka, options: PublisherOptions = {}) {
    this.producer = kafka.producer({
      allowAutoTopicCreation: false,
      // The Java client's murmur2 partitioning, so a key lands where other clients put it.
      createPartitioner: Partitioners.DefaultPartitioner,
      // kafkajs asks an idempotent producer for unbounded retries (it warns otherwise); the
      // caller's timeout bounds the wait.
      ...(options.idempotent
        ? {
            idempotent: true,
            maxInFlightRequests: 1,
            retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 10_000 },
          }
        : {}),
    });
  }

  async send(topic: string, records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.connected ??= this.producer.connect().catch((err) => {
      this.connected = undefined;
      throw err;
    });
    await this.connected;
    await this.producer.send({ topic, acks: -1, messages: records });
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }
}
