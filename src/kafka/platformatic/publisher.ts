// The port's publisher (../port.ts) on an @platformatic/kafka producer: the dead-letter topic,
// `npm run producer` and the dead-letter replay write through it.

import {
  compatibilityPartitioner,
  ProduceAcks,
  Producer,
  type Base,
  type BaseOptions,
  type Partitioner,
} from '@platformatic/kafka';
import type { OutgoingRecord, PublisherOptions, RecordPublisher } from '../port';
import { toMessage } from './records';

/**
 * Keyed records go where the Java client (and kafkajs) put them: murmur2 of the key, made positive
 * as Java does (the library's own default differs). Records without a key take turns over the
 * partitions, as the library does when it has no partitioner.
 */
export function javaCompatiblePartitioner(): Partitioner<Buffer, Buffer, Buffer, Buffer> {
  let turn = 0;
  return (message, key) =>
    // The library takes the answer modulo the topic's partition count.
    key ? compatibilityPartitioner(message, key) : turn++ & 0x7fffffff;
}

export class PlatformaticPublisher implements RecordPublisher {
  private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>;

  constructor(
    base: BaseOptions,
    options: PublisherOptions = {},
    onCreated: (producer: Base) => void = () => undefined,
  ) {
    this.producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
      ...base,
      autocreateTopics: false,
      partitioner: javaCompatiblePartitioner(),
      acks: ProduceAcks.ALL,
      // An idempotent producer retries without end (the library's own choice); the caller's
      // timeout bounds the wait, as with kafkajs.
      ...(options.idempotent ? { idempotent: true, retries: Number.MAX_SAFE_INTEGER } : {}),
    });
    onCreated(this.producer);
  }

  async send(topic: string, records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.producer.send({ messages: records.map((record) => toMessage(topic, record)) });
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}
