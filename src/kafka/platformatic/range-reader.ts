// Reads an exact offset range of one partition back from Kafka (see ../port.ts RangeReader): with
// BATCH_PAYLOAD=offsets, process-batch does so when a run's records are not in its worker's memory.
//
// Unlike kafkajs, @platformatic/kafka can fetch without joining a group: one consumer per reader,
// never a member of any group, fetches the partition from the wanted offset again and again until
// the range is in. A fetch returns whole record batches, so each is cut to the range; transaction
// markers and aborted records take offsets but are no records.

import { Consumer, ListOffsetTimestamps, type BaseOptions } from '@platformatic/kafka';
import { randomBytes } from 'node:crypto';
import { RecordsUnavailableError } from '../../errors';
import type { KafkaRecord, RangeReader, RangeReaderOptions } from '../port';
import { OneAtATime } from '../one-at-a-time';
import { withinDeadline } from '../within-deadline';
import { partitionErrors } from './errors';
import { recordsFrom } from './records';

/** How long the broker holds a fetch with nothing new: the range's end may not be readable yet. */
const FETCH_WAIT_MS = 100;
/** Most bytes one fetch returns; a longer range takes several. */
const FETCH_MAX_BYTES = 1_048_576;

export class PlatformaticRangeReader implements RangeReader {
  private readonly topic: string;
  private readonly timeoutMs: number;
  /** The library's consumers need a group id; this one never joins it, so the broker never sees it. */
  private readonly groupId: string;
  private consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined;
  /** Reads are rare (cache misses), so one at a time keeps the state simple. */
  private readonly turns = new OneAtATime();
  private readonly closing = new AbortController();

  constructor(
    private readonly base: BaseOptions,
    options: RangeReaderOptions,
    private readonly onCreated: (consumer: Consumer<Buffer, Buffer, Buffer, Buffer>) => void = () => undefined,
  ) {
    this.topic = options.topic;
    this.timeoutMs = options.readTimeoutMs ?? 60_000;
    this.groupId = `${options.groupIdPrefix}-range-reader-${randomBytes(4).toString('hex')}`;
  }

  read(partition: number, firstOffset: string, lastOffset: string): Promise<KafkaRecord[]> {
    // Taken now: a caller (an activity with its own timeout) waits from now, not from its turn.
    const deadline = Date.now() + this.timeoutMs;
    const run = () =>
      this.within(
        this.readRange(partition, BigInt(firstOffset), BigInt(lastOffset), deadline),
        deadline,
        partition,
        firstOffset,
        lastOffset,
      );
    return this.turns.run(run);
  }

  /** Disconnects; a read under way fails, and so does any later one. */
  async close(): Promise<void> {
    this.closing.abort();
    const shutdown = async () => {
      const consumer = this.consumer;
      this.consumer = undefined;
      await consumer?.close(true);
    };
    await this.turns.run(shutdown);
  }

  private client(): Consumer<Buffer, Buffer, Buffer, Buffer> {
    if (!this.consumer) {
      this.consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
        ...this.base,
        groupId: this.groupId,
        autocommit: false,
      });
      this.onCreated(this.consumer);
    }
    return this.consumer;
  }

  private async readRange(partition: number, first: bigint, last: bigint, deadline: number): Promise<KafkaRecord[]> {
    this.throwIfClosed();
    if (first > last) return [];
    const consumer = this.client();
    await this.checkInLog(consumer, partition, first, last);
    const records: KafkaRecord[] = [];
    let next = first;
    while (next <= last && Date.now() < deadline && !this.closing.signal.aborted) {
      const topicMetadata = (await consumer.metadata({ topics: [this.topic] })).topics.get(this.topic);
      const leader = topicMetadata?.partitions[partition]?.leader;
      if (!topicMetadata || leader === undefined) throw new Error(`topic ${this.topic} has no partition ${partition}`);
      let answer;
      try {
        answer = await consumer.fetch({
          node: leader,
          maxWaitTime: FETCH_WAIT_MS,
          maxBytes: FETCH_MAX_BYTES,
          topics: [
            {
              topicId: topicMetadata.id,
              partitions: [
                {
                  partition,
                  fetchOffset: next,
                  partitionMaxBytes: FETCH_MAX_BYTES,
                  currentLeaderEpoch: -1,
                  lastFetchedEpoch: -1,
                },
              ],
            },
          ],
        });
      } catch (err) {
        // Removed (or truncated) since the check: say so as the check does.
        if (partitionErrors(err).get(partition) === 'OFFSET_OUT_OF_RANGE')
          await this.checkInLog(consumer, partition, next, last);
        consumer.clearMetadata();
        throw err;
      }
      const fetched = answer.responses.flatMap((t) => t.partitions).find((p) => p.partitionIndex === partition);
      const run = recordsFrom(fetched?.records, next, last, fetched?.abortedTransactions);
      records.push(...run.records);
      next = run.next;
    }
    // Never a part of the range: the caller would process a batch without some of its records.
    // (within() has rejected already when the deadline passed or the reader closed; this stops a
    // fetch answer landing in the same turn from resolving it with less.)
    if (next <= last)
      throw new Error(`reading ${this.topic}/${partition} stopped at offset ${next} of ${first}..${last}`);
    return records;
  }

  /** Throws RecordsUnavailableError unless the partition's log holds the whole range. */
  private async checkInLog(
    consumer: Consumer<Buffer, Buffer, Buffer, Buffer>,
    partition: number,
    first: bigint,
    last: bigint,
  ): Promise<void> {
    const bound = async (timestamp: bigint) => {
      const offsets = await consumer.listOffsets({
        topics: [this.topic],
        partitions: { [this.topic]: [partition] },
        timestamp,
      });
      const offset = offsets.get(this.topic)?.[partition];
      if (offset === undefined) throw new Error(`topic ${this.topic} has no partition ${partition}`);
      return offset;
    };
    const [low, high] = await Promise.all([bound(ListOffsetTimestamps.EARLIEST), bound(ListOffsetTimestamps.LATEST)]);
    // Below the log start: removed. At or past the end: not written (or, read committed, not
    // committed), and for a range that was consumed once that means the topic was recreated or
    // truncated. Waiting would not help either way.
    if (first < low || last >= high) {
      const why =
        first < low
          ? `its log starts at offset ${low} (retention or deleteRecords removed older records)`
          : `its log ends at offset ${high - 1n} (the topic was recreated or truncated)`;
      throw new RecordsUnavailableError(
        `${this.topic}/${partition} offsets ${first}..${last} are not all in Kafka: ${why}`,
        low.toString(),
        high.toString(),
      );
    }
  }

  /** `read`, unless the deadline passes or the reader is closed first. */
  private within<T>(read: Promise<T>, deadline: number, partition: number, first: string, last: string): Promise<T> {
    return withinDeadline(
      read,
      deadline,
      this.closing.signal,
      () => `reading ${this.topic}/${partition} offsets ${first}..${last} took longer than ${this.timeoutMs} ms`,
    );
  }

  private throwIfClosed(): void {
    if (this.closing.signal.aborted) throw new Error('RangeReader closed');
  }
}
