// Reads an exact offset range of one partition back from Kafka. With BATCH_PAYLOAD=offsets a
// MicroBatchRun carries only its offset range; process-batch takes the records from an in-process
// cache, and when that misses (the run landed on another worker, or the worker restarted) it reads
// them again with this, as Spark Structured Streaming re-reads a micro-batch from its offsets.
//
// kafkajs has no assign() or pull API: a consumer joins a group and is pushed records. So one
// long-lived consumer per reader sits alone in a group of its own, subscribed to the topic, with
// every partition paused while idle; a read seeks its partition, resumes it until the range is in,
// and pauses it again. One consumer, not one per read: each group join costs
// group.initial.rebalance.delay.ms (3 s on production brokers). It never commits: where it reads
// comes from seeks alone, and the broker removes an empty group that holds no offsets.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { RecordsUnavailableError } from '../../errors';
import type { Logger } from '../../logger';
import type { KafkaRecord, RangeReader, RangeReaderOptions } from '../port';
import { OneAtATime } from '../one-at-a-time';
import { withinDeadline } from '../within-deadline';

export interface KafkajsRangeReaderOptions extends RangeReaderOptions {
  logger?: Logger;
}

/**
 * kafkajs's fetch loop sleeps this long when every partition is paused, so a resumed partition is
 * fetched only after the sleep in progress ends: with the default, 5 s. It is also how long the
 * broker holds a fetch that has nothing to return.
 */
const FETCH_WAIT_MS = 100;

/** One consumer and its group; replaced when kafkajs gives up on it. */
interface Member {
  consumer: Consumer;
  groupId: string;
  /** Settles once the group is joined: only then does kafkajs accept seek(). */
  joined: Promise<void>;
  assigned: Set<number>;
}

/** The read under way. */
interface Read {
  partition: number;
  /** The next offset wanted: what is below it was taken already, or is a gap. */
  next: bigint;
  last: bigint;
  records: KafkaRecord[];
  done(): void;
  fail(error: Error): void;
}

export class KafkajsRangeReader implements RangeReader {
  private readonly topic: string;
  private readonly timeoutMs: number;
  private member: Member | undefined;
  private admin: Admin | undefined;
  private reading: Read | undefined;
  /** Reads are rare (cache misses), so one at a time keeps the state simple. */
  private readonly turns = new OneAtATime();
  private readonly closing = new AbortController();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkajsRangeReaderOptions,
  ) {
    this.topic = options.topic;
    this.timeoutMs = options.readTimeoutMs ?? 60_000;
  }

  /**
   * Every record of `partition` with firstOffset <= offset <= lastOffset, in offset order. Offsets
   * are decimal strings (64-bit). Gaps (compaction, transaction markers) are simply absent.
   */
  read(partition: number, firstOffset: string, lastOffset: string): Promise<KafkaRecord[]> {
    // Taken now: a caller (an activity with its own timeout) waits from now, not from its turn.
    const deadline = Date.now() + this.timeoutMs;
    const run = () => this.readRange(partition, BigInt(firstOffset), BigInt(lastOffset), deadline);
    return this.turns.run(run);
  }

  /** Leaves the group and disconnects; a read under way fails. */
  async close(): Promise<void> {
    this.closing.abort();
    // After the read under way, so that nothing it connects outlives the reader.
    const shutdown = async () => {
      const { member, admin } = this;
      this.member = undefined;
      this.admin = undefined;
      try {
        await member?.consumer.disconnect();
      } finally {
        await admin?.disconnect();
      }
    };
    await this.turns.run(shutdown);
  }

  private async readRange(partition: number, first: bigint, last: bigint, deadline: number): Promise<KafkaRecord[]> {
    this.throwIfClosed();
    if (first > last) return [];
    await this.checkInLog(partition, first, last);
    const member = await this.joinedMember(deadline);
    if (!member.assigned.has(partition)) {
      // kafkajs sees partitions added to the topic only when its metadata ages out (5 min) and the
      // group rejoins; until then no seek reaches this one.
      throw new Error(`${this.topic}/${partition} is not assigned to the range reader's consumer yet`);
    }
    return this.collect(member, partition, first, last, deadline);
  }

  /** Throws RecordsUnavailableError unless the partition's log holds the whole range. */
  private async checkInLog(partition: number, first: bigint, last: bigint): Promise<void> {
    if (!this.admin) {
      this.throwIfClosed();
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    const offsets = (await this.admin.fetchTopicOffsets(this.topic)).find((o) => o.partition === partition);
    if (!offsets) throw new Error(`topic ${this.topic} has no partition ${partition}`);
    // Below the log start: removed. At or past the high watermark: not written (or, read committed,
    // not committed), and for a range that was consumed once that means the topic was recreated or
    // truncated. Waiting would not help either way.
    const { low, high } = offsets;
    if (first < BigInt(low) || last >= BigInt(high)) {
      const why =
        first < BigInt(low)
          ? `its log starts at offset ${low} (retention or deleteRecords removed older records)`
          : `its log ends at offset ${BigInt(high) - 1n} (the topic was recreated or truncated)`;
      throw new RecordsUnavailableError(
        `${this.topic}/${partition} offsets ${first}..${last} are not all in Kafka: ${why}`,
        low,
        high,
      );
    }
  }

  private async collect(
    member: Member,
    partition: number,
    first: bigint,
    last: bigint,
    deadline: number,
  ): Promise<KafkaRecord[]> {
    const records: KafkaRecord[] = [];
    let read!: Read;
    const finished = new Promise<void>((done, fail) => {
      read = { partition, next: first, last, records, done, fail };
    });
    this.reading = read;
    try {
      this.fetchFrom(member.consumer, read);
      await this.within(finished, deadline, () => {
        const upTo = read.next > first ? `, up to offset ${read.next - 1n}` : '';
        return `reading ${this.topic}/${partition} offsets ${first}..${last} took longer than ${this.timeoutMs} ms (${records.length} record(s) read${upTo})`;
      });
      return records;
    } finally {
      this.reading = undefined;
      this.pauseAll(member.consumer);
    }
  }

  private fetchFrom(consumer: Consumer, read: Read): void {
    consumer.seek({ topic: this.topic, partition: read.partition, offset: read.next.toString() });
    consumer.resume([{ topic: this.topic, partitions: [read.partition] }]);
  }

  private pauseAll(consumer: Consumer): void {
    try {
      // The whole topic, never one partition: kafkajs's pause() of listed partitions clears its
      // pause-everything flag, and every partition not listed would start fetching.
      consumer.pause([{ topic: this.topic }]);
    } catch {
      // A stopped consumer pauses everything again when it joins (see start()).
    }
  }

  private async joinedMember(deadline: number): Promise<Member> {
    this.throwIfClosed();
    this.member ??= this.start();
    const member = this.member;
    await this.within(
      member.joined,
      deadline,
      () => `joining consumer group ${member.groupId} took longer than ${this.timeoutMs} ms`,
    );
    return member;
  }

  private start(): Member {
    const { topic } = this;
    const groupId = `${this.options.groupIdPrefix}-range-reader-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    const consumer = this.kafka.consumer({
      groupId,
      maxWaitTimeInMs: FETCH_WAIT_MS,
      allowAutoTopicCreation: false,
      // kafkajs restarts a crashed consumer even when the crash came from its disconnect: after
      // close() that restart would outlive the reader (see SensorConsumer.start).
      retry: { retries: 5, restartOnFailure: async () => !this.closing.signal.aborted },
    });
    let joinedGroup!: () => void;
    let failed!: (error: Error) => void;
    const joinEvent = new Promise<void>((resolve, reject) => {
      joinedGroup = resolve;
      failed = reject;
    });
    joinEvent.catch(() => undefined);
    const member: Member = { consumer, groupId, joined: joinEvent, assigned: new Set() };

    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      member.assigned = new Set(payload.memberAssignment[topic] ?? []);
      // Each join starts every partition at the latest offset (the group commits none), and a
      // restart after a crash forgets pauses and seeks: only the partition being read may fetch,
      // from where its read stands. The event comes before the first fetch of the new generation.
      this.pauseAll(consumer);
      const read = this.reading;
      if (read && member.assigned.has(read.partition)) this.fetchFrom(consumer, read);
      this.options.logger?.debug('range reader joined its consumer group', { groupId, ms: payload.duration });
      joinedGroup();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      const error = new Error(`range reader's Kafka consumer stopped: ${payload.error.message}`);
      this.options.logger?.warn('range reader consumer stopped; the next read starts another', { groupId, error });
      if (this.member === member) this.reading?.fail(error);
      failed(error);
      this.drop(member);
    });
    // kafkajs skips eachBatch for a batch of nothing but transaction markers or aborted records,
    // yet moves past it: a range ending on such records ends here.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const read = this.reading;
      if (read && payload.batchSize === 0 && payload.partition === read.partition && this.member === member)
        this.advance(read, BigInt(payload.lastOffset));
    });

    member.joined = (async () => {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic] });
      await consumer.run({ autoCommit: false, eachBatch: (payload) => this.take(payload) });
      // A disconnect from close() during the join does not stop kafkajs from running once joined.
      this.throwIfClosed();
      await joinEvent;
    })();
    member.joined.catch(() => this.drop(member));
    return member;
  }

  /**
   * Disconnects a consumer that failed. The next read starts another, in a new group: the old group
   * may hold the dead member until its session times out, and a new member would wait for that.
   */
  private drop(member: Member): void {
    if (this.member === member) this.member = undefined;
    member.consumer.disconnect().catch(() => undefined);
  }

  private async take({ batch, isStale }: EachBatchPayload): Promise<void> {
    const read = this.reading;
    // A stale batch was fetched before a newer seek, which fetches its records again.
    if (!read || batch.partition !== read.partition || isStale()) return;
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      // Below `next`: taken already, delivered again by a fetch that was in flight across a seek.
      if (offset < read.next || offset > read.last) continue;
      read.records.push(message);
      read.next = offset + 1n;
    }
    // The batch's last offset counts transaction markers, which are not among its messages.
    this.advance(read, BigInt(batch.lastOffset()));
  }

  private advance(read: Read, lastSeen: bigint): void {
    if (lastSeen >= read.next) read.next = lastSeen + 1n;
    if (read.next > read.last) read.done();
  }

  /** `promise`, unless the deadline passes or the reader is closed first. */
  private within<T>(promise: Promise<T>, deadline: number, timeoutMessage: () => string): Promise<T> {
    return withinDeadline(promise, deadline, this.closing.signal, timeoutMessage);
  }

  private throwIfClosed(): void {
    if (this.closing.signal.aborted) throw new Error('RangeReader closed');
  }
}
