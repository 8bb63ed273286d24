// Where process-batch gets a run's records: from the run's input (BATCH_PAYLOAD=records), from this
// worker's memory (the batch was consumed here), or read back from Kafka by offset range (the run
// landed on another worker, or this one restarted). Kafka is the source of truth; the rest are
// shortcuts.

import type { BatchMessage, RunBatch } from '../batch';
import type { Logger } from '../logger';
import type { BatchCache } from './batch-cache';
import { toBatchMessage } from './encoding';
import type { KafkaClient, RangeReader } from './port';

export type RecordSource = 'input' | 'memory' | 'kafka';

export class BatchRecords {
  private readonly readers = new Map<string, RangeReader>();
  /** How many batches each source served: a high `kafka` count means runs rarely land where they were consumed. */
  readonly served: Record<RecordSource, number> = { input: 0, memory: 0, kafka: 0 };

  constructor(
    private readonly kafka: KafkaClient,
    private readonly cache: BatchCache,
    private readonly groupIdPrefix: string,
    private readonly logger: Logger,
    /** Longest a read back may take: less than the activity's timeout, so a retry finds the reader free. */
    private readonly readTimeoutMs: number,
    /** Told where each batch's records came from (the pipeline's metrics count cache hits and read-backs). */
    private readonly onServed: (source: RecordSource) => void = () => undefined,
  ) {}

  async of(batch: RunBatch): Promise<BatchMessage[]> {
    if (batch.messages) return this.count('input', batch.messages);
    const cached = this.cache.get(batch);
    if (cached) return this.count('memory', cached);
    this.logger.debug('reading a run batch back from Kafka', {
      topic: batch.topic,
      partition: batch.partition,
      firstOffset: batch.firstOffset,
      lastOffset: batch.lastOffset,
    });
    const records = await this.readerFor(batch.topic).read(batch.partition, batch.firstOffset, batch.lastOffset);
    return this.count('kafka', records.map(toBatchMessage));
  }

  /** The run has loaded this range: its records need not be kept. */
  loaded(batch: RunBatch): void {
    this.cache.delete(batch);
  }

  async close(): Promise<void> {
    // Tells an operator whether runs land where their batches were consumed (see README, Scaling out).
    if (this.served.memory + this.served.kafka > 0) this.logger.info('run batches served', { ...this.served });
    const readers = [...this.readers.values()];
    this.readers.clear();
    await Promise.all(readers.map((r) => r.close()));
  }

  private count(source: RecordSource, messages: BatchMessage[]): BatchMessage[] {
    this.served[source]++;
    this.onServed(source);
    return messages;
  }

  private readerFor(topic: string): RangeReader {
    let reader = this.readers.get(topic);
    if (!reader) {
      reader = this.kafka.rangeReader({ topic, groupIdPrefix: this.groupIdPrefix, readTimeoutMs: this.readTimeoutMs });
      this.readers.set(topic, reader);
    }
    return reader;
  }
}
