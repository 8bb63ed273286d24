// Sends records that cannot be processed to the dead-letter topic: the original key, value and
// headers, plus headers that say why, how often it was tried, where it came from and which run
// gave up on it (as Kafka Connect's DLQ does). `npm run dlq` reads them back and can replay them.
// A retried activity may publish a letter again: the readers show and send each source record once
// (./dead-letter-identity.ts).

import type { BatchMessage } from '../batch';
import { decodeBytes, decodeHeaders } from './encoding';
import type { KafkaClient, RecordPublisher } from './port';

/** Header names on dead-lettered records. */
export const DLQ_HEADERS = {
  error: 'dlq.error',
  errorType: 'dlq.error.type',
  attempts: 'dlq.attempts',
  topic: 'dlq.source.topic',
  partition: 'dlq.source.partition',
  offset: 'dlq.source.offset',
  /** Tells a record apart from an earlier one at the same offset of a recreated topic (see dead-letter-identity.ts). */
  timestamp: 'dlq.source.timestamp',
  run: 'dlq.run.id',
  failedAt: 'dlq.failed.at',
} as const;

export interface DeadLetter {
  sourceTopic: string;
  partition: number;
  message: BatchMessage;
  error: string;
  errorType: string;
  attempts: number;
  runId: string;
}

export class DeadLetterPublisher {
  private readonly producer: RecordPublisher;

  constructor(
    kafka: KafkaClient,
    readonly topic: string,
  ) {
    // Idempotent, so a retried send after a lost acknowledgement does not write a record twice
    // (the activity's timeout bounds the wait).
    this.producer = kafka.publisher({ idempotent: true });
  }

  async publish(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const failedAt = new Date().toISOString();
    await this.producer.send(
      this.topic,
      letters.map((l) => ({
        key: decodeBytes(l.message.key),
        value: decodeBytes(l.message.value),
        timestamp: l.message.timestamp,
        headers: {
          ...decodeHeaders(l.message.headers),
          [DLQ_HEADERS.error]: l.error,
          [DLQ_HEADERS.errorType]: l.errorType,
          [DLQ_HEADERS.attempts]: String(l.attempts),
          [DLQ_HEADERS.topic]: l.sourceTopic,
          [DLQ_HEADERS.partition]: String(l.partition),
          [DLQ_HEADERS.offset]: l.message.offset,
          [DLQ_HEADERS.timestamp]: l.message.timestamp,
          [DLQ_HEADERS.run]: l.runId,
          [DLQ_HEADERS.failedAt]: failedAt,
        },
      })),
    );
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
