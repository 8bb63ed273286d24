// The Kafka port: everything the pipeline asks of a Kafka client, and nothing of any one client's
// API. The activities, workers, scripts and the sensor consumer's buffer depend on these interfaces;
// each client library lives behind them in a folder of its own (./kafkajs/, ./platformatic/), and
// ./client.ts picks one (KAFKA_CLIENT). Offsets are decimal strings throughout: Kafka's are 64-bit.

import type { PartitionOffset } from '../batch';

/** One record as a client hands it over; ./encoding.ts turns it into what travels through Temporal. */
export interface KafkaRecord {
  offset: string;
  key: Buffer | null;
  /** null for a tombstone. */
  value: Buffer | null;
  /** A header repeated under one name may come as an array (the last one counts). */
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
  /** Milliseconds since the epoch. */
  timestamp: string;
}

/** A record to publish: to `partition` when given, else by key as the Java client does (murmur2). */
export interface OutgoingRecord {
  partition?: number;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string>;
  /** Milliseconds since the epoch; the broker's clock when absent. */
  timestamp?: string;
}

/** A partition's log start (`low`) and log end (`high`, the offset the next record will get). */
export interface PartitionBounds {
  partition: number;
  low: string;
  high: string;
}

export interface GroupDescription {
  state: string;
  /** The client id of each member (several members may share one). */
  memberClientIds: string[];
}

export interface KafkaAdmin {
  listTopics(): Promise<string[]>;
  /**
   * Creates the topic with `partitions` partitions unless it exists, and waits until every
   * partition has a leader. True when it created it.
   */
  ensureTopic(topic: string, partitions: number): Promise<boolean>;
  deleteTopic(topic: string): Promise<void>;
  partitionBounds(topic: string): Promise<PartitionBounds[]>;
  /** The group's committed offset per partition; partitions without one are absent. */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, string>>;
  /**
   * Kafka's offsets-for-times answer per partition: the first offset whose timestamp is at or after
   * `timeMs`, or the log end when none is.
   */
  offsetsForTime(topic: string, timeMs: number): Promise<Map<number, string>>;
  /** Sets a group's committed offsets; Kafka allows it only while the group has no members. */
  setGroupOffsets(groupId: string, topic: string, offsets: PartitionOffset[]): Promise<void>;
  /** A consumer group's state as its coordinator reports it (`Stable`, `PreparingRebalance`, `Dead`…). */
  describeGroup(groupId: string): Promise<GroupDescription>;
  /** Deletes consumer groups; a group that does not exist is not an error. */
  deleteGroups(groupIds: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface PublisherOptions {
  /**
   * Idempotent writes: a send retried after a lost acknowledgement does not write a record twice.
   * The caller's own timeout bounds how long it retries.
   */
  idempotent?: boolean;
}

export interface RecordPublisher {
  /** Writes the records to `topic` and waits for every in-sync replica to have them (acks=all). */
  send(topic: string, records: OutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** A run of fetched records of one partition, in offset order. */
export interface FetchedRecords {
  partition: number;
  records: KafkaRecord[];
  /** False once the records are stale (a rebalance or a seek since) or the consumer is stopping. */
  isCurrent(): boolean;
  /** Keeps the group membership alive while the handler waits. */
  heartbeat(): Promise<void>;
}

export interface GroupConsumerOptions {
  topic: string;
  groupId: string;
  /** Where a partition without a committed offset starts: its log start, else its log end. */
  fromBeginning: boolean;
  /** Kafka drops a member it has not heard from for this long. */
  sessionTimeoutMs: number;
  /**
   * Most bytes one fetch returns, all partitions together and per partition (the worker's memory
   * budget sets them, src/workers/memory-plan.ts); the broker still returns a larger first record.
   * The client's own values when absent.
   */
  fetchMaxBytes?: { total: number; perPartition: number };
  /** Asked before every join of the group, the client's own rejoins included; throws to stay out for good. */
  beforeJoin?(): void;
  /** After each join, with the partitions this member holds now (sorted). */
  onJoined?(partitions: number[]): void;
  /** Each heartbeat the coordinator accepted. */
  onHeartbeat?(): void;
  /** The client gave up on the consumer: it fetches nothing more. */
  onFailed?(error: Error): void;
  /**
   * Hands over fetched records and returns how many of them (from the first) it took. Fetching of
   * that partition goes on after the last one taken, so a handler that waits holds the records
   * back in Kafka (backpressure).
   */
  onRecords(fetched: FetchedRecords): Promise<number>;
}

/** A member of a consumer group that never commits on its own. */
export interface GroupConsumer {
  /** Connects, subscribes and starts fetching; resolves once the client runs (not once joined). */
  start(): Promise<void>;
  /** Commits the next offsets to read. */
  commit(offsets: PartitionOffset[]): Promise<void>;
  /** Fetches a held partition again from `offset`. */
  seek(partition: number, offset: string): void;
  /** Leaves the group and disconnects. */
  stop(): Promise<void>;
}

export interface RangeReaderOptions {
  topic: string;
  /** Starts the name of the reader's consumer group, for clients that need one. */
  groupIdPrefix: string;
  /** Longest a read may take, its wait behind earlier reads included. Default 60 s. */
  readTimeoutMs?: number;
}

/** Reads exact offset ranges of one topic's partitions, outside any consumer group's progress. */
export interface RangeReader {
  /**
   * Every record of `partition` with firstOffset <= offset <= lastOffset, in offset order; gaps
   * (compaction, transaction markers) are absent. Throws RecordsUnavailableError when the log no
   * longer (or not yet) holds the whole range.
   */
  read(partition: number, firstOffset: string, lastOffset: string): Promise<KafkaRecord[]>;
  close(): Promise<void>;
}

/** One client library behind the port, connected with the project's security settings. */
export interface KafkaClient {
  /**
   * Answers once the brokers accept a connection with our settings. Throws RefusedSettingError
   * when they refuse the settings (no retry fixes that), any other error when they are away.
   */
  probe(): Promise<void>;
  /** An admin, connected. */
  admin(): Promise<KafkaAdmin>;
  publisher(options?: PublisherOptions): RecordPublisher;
  groupConsumer(options: GroupConsumerOptions): GroupConsumer;
  rangeReader(options: RangeReaderOptions): RangeReader;
}
