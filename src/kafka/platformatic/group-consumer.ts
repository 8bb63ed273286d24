// The port's group consumer (../port.ts) on @platformatic/kafka. The library's consumer stream
// fetches ahead and moves its position as soon as a fetch comes back, which leaves no room for a
// handler that takes only some records, nor for a seek. So the library keeps the membership here
// (join, heartbeats on its own timer, its own rejoins, commits) and this file runs the fetch loop
// with its low-level fetch: a position per held partition, each fetched run handed to onRecords,
// the position moved past what it took. Every join passes the rejoin gate (./gated-consumer.ts).
//
// Neighbours: ./records.ts turns fetched batches into the port's records; ./errors.ts reads the
// library's errors; ../sensor-consumer.ts is the main user.

import {
  Base,
  ConnectionPool,
  ListOffsetTimestamps,
  type BaseOptions,
  type ConsumerGroupJoinPayload,
  type RecordsBatch,
} from '@platformatic/kafka';
import type { PartitionOffset } from '../../batch';
import type { Logger } from '../../logger';
import type { GroupConsumer, GroupConsumerOptions } from '../port';
import { watchConnections } from './connection';
import { describeError, nestedErrors, partitionErrors } from './errors';
import { GatedConsumer } from './gated-consumer';
import { recordsFrom, type AbortedTransaction } from './records';

type FetchResponse = Awaited<ReturnType<GatedConsumer['fetch']>>;

/** How long the broker holds a fetch that has nothing to return. */
const FETCH_WAIT_MS = 1_000;
/**
 * Most bytes one fetch returns (per partition and in all) unless the options say less (the
 * worker's memory budget). The broker still returns a larger first batch whole. Small enough for a
 * quick first record and a bounded footprint per consumer.
 */
const FETCH_MAX_BYTES = 1_048_576;
/** As kafkajs: how long the coordinator waits for every member to rejoin in a rebalance. */
const REBALANCE_TIMEOUT_MS = 60_000;
const HEARTBEAT_INTERVAL_MS = 3_000;
/** The library's own retries of one operation (see the constructor). */
const CONSUMER_RETRIES = 3;
/** Longest wait between tries while joining or fetching keeps failing (a broker away). */
const MAX_BACKOFF_MS = 10_000;
/**
 * How long a stop waits for the loop's fetch or handler under way before it closes the consumer
 * anyway (a join under way can wait on the broker for the whole rebalance timeout).
 */
const STOP_WAIT_MS = 3_000;

/** Kafka's answers that no retry changes: the consumer gives up (onFailed). */
const FATAL_ANSWERS = new Set([
  'GROUP_AUTHORIZATION_FAILED',
  'TOPIC_AUTHORIZATION_FAILED',
  'INVALID_SESSION_TIMEOUT',
  'INCONSISTENT_GROUP_PROTOCOL',
  'INVALID_GROUP_ID',
  'GROUP_MAX_SIZE_REACHED',
]);

export interface PlatformaticGroupConsumerDeps {
  base: BaseOptions;
  logger: Logger;
  onConnectionError?: () => void;
}

export class PlatformaticGroupConsumer implements GroupConsumer {
  private readonly consumer: GatedConsumer;
  /** Fetches wait on the broker for up to FETCH_WAIT_MS: on connections of their own, so that heartbeats and commits never queue behind them. */
  private readonly fetchPool: ConnectionPool;
  private readonly logger: Logger;
  /** Partitions this member holds, sorted. */
  private held: number[] = [];
  /** Next offset to fetch per held partition; absent until read from the group's committed offsets. */
  private readonly positions = new Map<number, bigint>();
  /** Seeks per partition so far: a fetch that began before one is stale. */
  private readonly seeks = new Map<number, number>();
  /** Bumped by each join and each loss of membership: what was fetched before is stale. */
  private generation = 0;
  private member = false;
  /** Last heartbeat or join the coordinator accepted. */
  private lastMembershipAt = 0;
  private stopping = false;
  private failure: Error | undefined;
  private loop: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    deps: PlatformaticGroupConsumerDeps,
    private readonly options: GroupConsumerOptions,
  ) {
    const { base, logger, onConnectionError } = deps;
    const { groupId, sessionTimeoutMs, beforeJoin } = options;
    this.logger = logger;
    this.consumer = new GatedConsumer(
      {
        ...base,
        groupId,
        autocommit: false,
        sessionTimeout: sessionTimeoutMs,
        rebalanceTimeout: Math.max(REBALANCE_TIMEOUT_MS, sessionTimeoutMs),
        heartbeatInterval: HEARTBEAT_INTERVAL_MS,
        // kafkajs's name for round-robin assignment (both encode the subscription as Kafka's
        // consumer protocol does): members of either client can then share a group, as workers
        // do while KAFKA_CLIENT is being changed one worker at a time.
        protocols: [{ name: 'RoundRobinAssigner', version: 0, metadata: Buffer.alloc(0) }],
        // A JoinGroup waits on the broker for the other members, up to the rebalance timeout.
        requestTimeout: Math.max(REBALANCE_TIMEOUT_MS, sessionTimeoutMs) + 10_000,
        // Few retries inside the library: the fetch loop below tries again for as long as it takes,
        // with fresh metadata each time (the library's own retries of a fetch reuse what it knew,
        // e.g. the id of a topic deleted and created again), and a failed commit is retried by the
        // sensor's next call. A commit that meets a rebalance is the exception: the library rejoins
        // (through the gate) and sends it again, unlike kafkajs, which fails it. It may then commit a
        // partition another member holds now, moving that member's offset back at worst: records
        // read again (their runs are started already, so nothing is skipped; the sink absorbs them).
        retries: CONSUMER_RETRIES,
      },
      () => beforeJoin?.(),
    );
    this.fetchPool = new ConnectionPool(base.clientId, base);
    watchConnections(this.consumer, logger, onConnectionError);
    watchConnections(this.fetchPool, logger, onConnectionError);
    this.consumer.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) => this.joined(payload));
    this.consumer.on('consumer:heartbeat:end', () => {
      this.lastMembershipAt = Date.now();
      options.onHeartbeat?.();
    });
    // The library's own rejoin (after a rebalance or a lapsed session) gave up; the loop joins again.
    this.consumer.on('error', (error: Error) => this.lostMembership(error));
  }

  async start(): Promise<void> {
    const { topic } = this.options;
    // The topics a join subscribes to.
    this.consumer.topics.track(topic);
    // Connects, and fails as kafkajs's subscribe does when the brokers are away.
    await this.consumer.metadata({ topics: [topic] });
    // run() handles its own failures; this catches one thrown from a handler of ours (onFailed, the
    // logger), which would otherwise end the process as an unhandled rejection.
    this.loop = this.run().catch((err: unknown) => this.fail(err instanceof Error ? err : new Error(String(err))));
  }

  async commit(offsets: PartitionOffset[]): Promise<void> {
    if (this.stopping || this.failure) throw new Error('the Kafka consumer is stopped');
    const { topic } = this.options;
    // Kafka's committed offset is the next one to read, as the port's is. Leader epoch -1: unknown
    // (the broker does not check it; the Java client sends it to detect log truncation).
    await this.consumer.commit({
      offsets: offsets.map((o) => ({ topic, partition: o.partition, offset: BigInt(o.offset), leaderEpoch: -1 })),
    });
  }

  seek(partition: number, offset: string): void {
    this.seeks.set(partition, (this.seeks.get(partition) ?? 0) + 1);
    this.positions.set(partition, BigInt(offset));
    this.wakeUp();
  }

  stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp();
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    // The loop ends after the fetch or handler under way (a handler sees isCurrent() false); a join
    // under way is cut short by the close below.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.loop?.catch(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS))),
    ]);
    clearTimeout(timer);
    try {
      // Leaves the group, so its partitions go to the other members at once.
      await this.consumer.close(true);
    } catch (err) {
      // The coordinator is away: the session timeout removes the member. Close the connections anyway.
      this.logger.debug('Kafka consumer could not leave its group', {
        group: this.options.groupId,
        error: describeError(err),
      });
      await Base.prototype.close.call(this.consumer).catch(() => undefined);
    }
    await this.fetchPool.close().catch(() => undefined);
  }

  private joined({ assignments }: ConsumerGroupJoinPayload): void {
    if (this.stopping || this.failure) return;
    const { topic } = this.options;
    this.held = [...(assignments?.find((a) => a.topic === topic)?.partitions ?? [])].sort((a, b) => a - b);
    this.generation++;
    // After a join every held partition is read from the group's committed offset again.
    this.positions.clear();
    this.member = true;
    this.lastMembershipAt = Date.now();
    this.options.onJoined?.([...this.held]);
    this.wakeUp();
  }

  private lostMembership(error: Error): void {
    // A close cuts the library's rejoin under way short; that is no lost membership.
    if (this.stopping) return;
    this.member = false;
    this.generation++;
    if (this.consumer.refusal) this.fail(this.consumer.refusal);
    else
      this.logger.warn('Kafka consumer lost its group membership; joining again', {
        group: this.options.groupId,
        error: describeError(error),
      });
    this.wakeUp();
  }

  private fail(error: Error): void {
    if (this.failure || this.stopping) return;
    this.failure = error;
    this.member = false;
    this.generation++;
    this.options.onFailed?.(error);
    // It fetches nothing more; leaving now frees its partitions before its owner gets to stop it.
    void this.stop();
  }

  private async run(): Promise<void> {
    let backoff = 0;
    while (!this.stopping && !this.failure) {
      try {
        if (this.member) await this.fetchOnce();
        else await this.join();
        backoff = 0;
      } catch (err) {
        if (this.stopping || this.failure) break;
        if (this.consumer.refusal) {
          this.fail(this.consumer.refusal);
          break;
        }
        if (isFatal(err)) {
          this.fail(new Error(`Kafka consumer of group ${this.options.groupId} stopped: ${describeError(err)}`));
          break;
        }
        // A broker away or a partition moving: like kafkajs restarting its consumer, try again.
        this.consumer.clearMetadata();
        backoff = Math.min(MAX_BACKOFF_MS, backoff ? backoff * 2 : 500);
        this.logger.warn(`Kafka consumer failed; trying again in ${backoff} ms`, {
          group: this.options.groupId,
          error: describeError(err),
        });
        await this.sleep(backoff);
      }
    }
  }

  private async join(): Promise<void> {
    await this.consumer.joinGroup({});
    // The join event has come by now, unless the consumer was stopped meanwhile.
    if (!this.member && !this.stopping) throw new Error('the group join ended without an assignment');
  }

  private async fetchOnce(): Promise<void> {
    const generation = this.generation;
    await this.findPositions(generation);
    if (generation !== this.generation) return;
    const wanted = this.held.filter((p) => this.positions.has(p));
    if (!this.inSession()) {
      // No heartbeat accepted for a session (the process was stopped, or cut off from the
      // coordinator): the group has likely handed these partitions to others. Fetch nothing until
      // a heartbeat or a rejoin (through the gate) says where this member stands.
      if (Date.now() - this.lastMembershipAt > 2 * this.options.sessionTimeoutMs) {
        // Neither came for another session: the library keeps asking a coordinator that is no
        // longer the group's (it looks the coordinator up only once). A new consumer finds it.
        throw new StuckMemberError(
          `no heartbeat accepted for ${Math.round((Date.now() - this.lastMembershipAt) / 1000)} s; a new consumer takes over`,
        );
      }
      await this.sleep(HEARTBEAT_INTERVAL_MS);
      return;
    }
    if (wanted.length === 0) {
      // Holds no partition (more members than partitions): wait for a rebalance.
      await this.sleep(FETCH_WAIT_MS);
      return;
    }
    const { topic } = this.options;
    const topicMetadata = (await this.consumer.metadata({ topics: [topic] })).topics.get(topic);
    if (!topicMetadata) throw new Error(`no metadata for topic ${topic}`);
    const byLeader = new Map<number, number[]>();
    for (const partition of wanted) {
      const leader = topicMetadata.partitions[partition]?.leader ?? -1;
      if (leader < 0) continue;
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), partition]);
    }
    if (byLeader.size === 0) {
      // No held partition has a leader in what the library knows (a leader moving, or metadata
      // older than the partition): wait rather than spin, and ask again.
      this.consumer.clearMetadata();
      await this.sleep(FETCH_WAIT_MS);
      return;
    }
    const fetchedFrom = new Map(wanted.map((p) => [p, this.positions.get(p)!]));
    const seeksAtFetch = new Map(wanted.map((p) => [p, this.seeks.get(p) ?? 0]));
    // Every leader's answer is handed over even when another leader's fetch failed; then the
    // failure goes to run(), which tries again.
    const settled = await Promise.allSettled(
      [...byLeader].map(([leader, partitions]) =>
        this.fetch(leader, topicMetadata.id, partitions, fetchedFrom, generation, seeksAtFetch),
      ),
    );
    const answers = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    for (const answer of answers)
      for (const topicAnswer of answer?.responses ?? [])
        for (const { partitionIndex, records, abortedTransactions } of topicAnswer.partitions) {
          const current = () =>
            this.inSession() &&
            !this.stopping &&
            !this.failure &&
            this.member &&
            generation === this.generation &&
            (this.seeks.get(partitionIndex) ?? 0) === seeksAtFetch.get(partitionIndex);
          await this.handOver(partitionIndex, records, abortedTransactions, fetchedFrom.get(partitionIndex)!, current);
        }
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** One fetch from a leader; partitions it says are out of range start again per fromBeginning. */
  private async fetch(
    leader: number,
    topicId: string,
    partitions: number[],
    from: Map<number, bigint>,
    generation: number,
    seeksAtFetch: Map<number, number>,
  ): Promise<FetchResponse | undefined> {
    try {
      return await this.consumer.fetch({
        node: leader,
        connectionPool: this.fetchPool,
        maxWaitTime: FETCH_WAIT_MS,
        maxBytes: this.options.fetchMaxBytes?.total ?? FETCH_MAX_BYTES,
        topics: [
          {
            topicId,
            partitions: partitions.map((partition) => ({
              partition,
              fetchOffset: from.get(partition)!,
              partitionMaxBytes: this.options.fetchMaxBytes?.perPartition ?? FETCH_MAX_BYTES,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            })),
          },
        ],
      });
    } catch (err) {
      const outOfRange = [...partitionErrors(err)].filter(([, name]) => name === 'OFFSET_OUT_OF_RANGE').map(([p]) => p);
      if (outOfRange.length === 0) throw err;
      // As the Java client's auto.offset.reset (and kafkajs): the log start or end, by fromBeginning.
      const reset = await this.logOffsets(outOfRange, this.options.fromBeginning);
      for (const [partition, offset] of reset) {
        if (generation !== this.generation || (this.seeks.get(partition) ?? 0) !== seeksAtFetch.get(partition))
          continue;
        this.logger.warn('Kafka consumer position is outside the log; starting again from the log bound', {
          group: this.options.groupId,
          partition,
          from: from.get(partition)?.toString(),
          to: offset.toString(),
        });
        this.positions.set(partition, offset);
      }
      // The other partitions of that answer are fetched again next time.
      return undefined;
    }
  }

  private async handOver(
    partition: number,
    batches: RecordsBatch[] | undefined,
    aborted: AbortedTransaction[],
    fetchedFrom: bigint,
    current: () => boolean,
  ): Promise<void> {
    if (!current()) return;
    const { records, next } = recordsFrom(batches, fetchedFrom, undefined, aborted);
    if (records.length === 0) {
      // Nothing but transaction markers (or nothing at all): move past them.
      this.positions.set(partition, next);
      return;
    }
    const taken = await this.options.onRecords({
      partition,
      records,
      isCurrent: current,
      // The library heartbeats on a timer of its own, whatever the handler does.
      heartbeat: () => Promise.resolve(),
    });
    if (!current()) return;
    this.positions.set(partition, taken >= records.length ? next : BigInt(records[Math.max(0, taken)]!.offset));
  }

  /** Where each held partition without a position starts: the committed offset, else a log bound. */
  private async findPositions(generation: number): Promise<void> {
    const missing = this.held.filter((p) => !this.positions.has(p));
    if (missing.length === 0) return;
    const { topic, fromBeginning } = this.options;
    const committed = (await this.consumer.listCommittedOffsets({ topics: [{ topic, partitions: missing }] })).get(
      topic,
    );
    const found = new Map<number, bigint>();
    const uncommitted: number[] = [];
    for (const partition of missing) {
      const offset = committed?.[partition];
      if (offset !== undefined && offset >= 0n) found.set(partition, offset);
      else uncommitted.push(partition);
    }
    if (uncommitted.length > 0)
      for (const [p, offset] of await this.logOffsets(uncommitted, fromBeginning)) found.set(p, offset);
    if (generation !== this.generation) return;
    // A seek since the join has said where to start already.
    for (const [partition, offset] of found) if (!this.positions.has(partition)) this.positions.set(partition, offset);
  }

  /** The log start (or end) of `partitions`. */
  private async logOffsets(partitions: number[], start: boolean): Promise<Map<number, bigint>> {
    const { topic } = this.options;
    const answer = await this.consumer.listOffsets({
      topics: [topic],
      partitions: { [topic]: partitions },
      timestamp: start ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST,
    });
    const offsets = answer.get(topic) ?? [];
    return new Map(partitions.flatMap((p) => (offsets[p] === undefined ? [] : [[p, offsets[p]!] as const])));
  }

  /** True while the coordinator has heard from this member within its session timeout. */
  private inSession(): boolean {
    return Date.now() - this.lastMembershipAt <= this.options.sessionTimeoutMs;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private wakeUp(): void {
    this.wake?.();
  }
}

/** A member the coordinator stopped hearing from for two sessions: a new consumer must take over. */
class StuckMemberError extends Error {
  override readonly name = 'StuckMemberError';
}

/** Errors no retry fixes: refused credentials or rights, settings the coordinator rejects, a stuck member. */
function isFatal(err: unknown): boolean {
  if (err instanceof StuckMemberError) return true;
  for (const e of nestedErrors(err)) {
    if (e.code === 'PLT_KFK_AUTHENTICATION') return true;
    if (e.apiId && FATAL_ANSWERS.has(e.apiId)) return true;
  }
  return false;
}
