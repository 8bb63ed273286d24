// The Kafka port's contract (src/kafka/port.ts), run against the real broker once per client library
// behind it (KAFKA_CLIENT): what the pipeline relies on must hold for each. Admin calls, where keyed
// records land, the group consumer's hand-over (backpressure, commits, seeks, the rejoin gate,
// membership) and exact range reads. Each test has topics and groups of its own, removed after it.
//
// Transactions (for gaps in a range) and deleteRecords are not in the port: those are made with
// kafkajs directly, whichever client is under test.

import { rmSync } from 'node:fs';
import { Partitioners } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KAFKA_CLIENTS, type Config } from '../../src/config';
import { RecordsUnavailableError } from '../../src/errors';
import { createKafkaClient } from '../../src/kafka/client';
import { createKafka } from '../../src/kafka/kafkajs/kafka';
import type {
  FetchedRecords,
  GroupConsumer,
  KafkaAdmin,
  KafkaClient,
  KafkaRecord,
  OutgoingRecord,
} from '../../src/kafka/port';
import { RejoinRefusedError } from '../../src/kafka/rejoin-gate';
import { deleteRecordsBelow, logger, testConfig, testProducer, uniqueName, waitFor } from '../helpers';

/** Java's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), the partitioner every client should share. */
function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ data.length;
  const whole = data.length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = data.length % 4;
  if (rest === 3) h ^= data[whole + 2]! << 16;
  if (rest >= 2) h ^= data[whole + 1]! << 8;
  if (rest >= 1) h = Math.imul(h ^ data[whole]!, m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  return (h ^ (h >>> 15)) | 0;
}

/** The partition the Java client's default partitioner gives a keyed record. */
function javaPartition(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key)) & 0x7fffffff) % partitions;
}

it('the test`s murmur2 is Java`s (its values from Kafka`s own tests)', () => {
  expect(murmur2(Buffer.from('21'))).toBe(-973932308);
  expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
  expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
  expect(murmur2(Buffer.from('abc'))).toBe(479470107);
});

describe.each(KAFKA_CLIENTS)('the Kafka port on %s', (client) => {
  const base = testConfig();
  const config: Config = { ...base, kafkaClient: client };
  let kafka: KafkaClient;
  let admin: KafkaAdmin;
  /** What each test opened, closed after it in reverse order. */
  const toClose: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    kafka = await createKafkaClient(config, logger);
    admin = await kafka.admin();
  });
  afterEach(async () => {
    for (const close of toClose.splice(0).reverse()) await close().catch(() => undefined);
  });
  afterAll(async () => {
    await admin.close();
    rmSync(base.sinkDir, { recursive: true, force: true });
  });

  /** A topic of the test's own, removed after it. */
  async function newTopic(partitions: number): Promise<string> {
    const topic = uniqueName(`port-${client}`);
    toClose.push(async () => {
      // Asked first: deleting a topic that is gone already is retried for a minute.
      if ((await admin.listTopics()).includes(topic)) await admin.deleteTopic(topic);
    });
    expect(await admin.ensureTopic(topic, partitions)).toBe(true);
    return topic;
  }

  /** A group name of the test's own, deleted after it. */
  function newGroup(): string {
    const groupId = uniqueName(`port-${client}-group`);
    toClose.push(() => admin.deleteGroups([groupId]));
    return groupId;
  }

  async function publish(topic: string, records: OutgoingRecord[]): Promise<void> {
    const producer = testProducer(kafka);
    try {
      await producer.send(topic, records);
    } finally {
      await producer.close();
    }
  }

  function values(count: number, partition = 0): OutgoingRecord[] {
    return Array.from({ length: count }, (_, i) => ({ partition, key: `k${i}`, value: `v${i}` }));
  }

  /** Everything in `topic`, per partition, read with the range reader. */
  async function readBack(topic: string): Promise<Map<number, KafkaRecord[]>> {
    const reader = kafka.rangeReader({ topic, groupIdPrefix: uniqueName('port-reader'), readTimeoutMs: 30_000 });
    try {
      const out = new Map<number, KafkaRecord[]>();
      for (const { partition, low, high } of await admin.partitionBounds(topic))
        out.set(
          partition,
          BigInt(high) > BigInt(low) ? await reader.read(partition, low, String(BigInt(high) - 1n)) : [],
        );
      return out;
    } finally {
      await reader.close();
    }
  }

  interface Member {
    consumer: GroupConsumer;
    /** Offsets of each hand-over, as handed over. */
    runs: { partition: number; offsets: string[] }[];
    /** Offsets taken, in order. */
    taken: string[];
    joins: number[][];
    failures: Error[];
  }

  /** A group consumer that records what it is handed; `take` says how many of each run it takes. */
  function member(
    topic: string,
    groupId: string,
    options: { take?: (fetched: FetchedRecords, call: number) => number; beforeJoin?: () => void } = {},
  ): Member {
    const m: Member = { consumer: undefined as never, runs: [], taken: [], joins: [], failures: [] };
    let calls = 0;
    m.consumer = kafka.groupConsumer({
      topic,
      groupId,
      fromBeginning: true,
      sessionTimeoutMs: 10_000,
      beforeJoin: options.beforeJoin,
      onJoined: (partitions) => m.joins.push(partitions),
      onFailed: (error) => m.failures.push(error),
      onRecords: async (fetched) => {
        m.runs.push({ partition: fetched.partition, offsets: fetched.records.map((r) => r.offset) });
        const count = Math.min(
          options.take ? options.take(fetched, calls++) : fetched.records.length,
          fetched.records.length,
        );
        m.taken.push(...fetched.records.slice(0, count).map((r) => r.offset));
        return count;
      },
    });
    toClose.push(() => m.consumer.stop());
    return m;
  }

  describe('admin', () => {
    it('ensureTopic creates a topic once, with its partitions, and listTopics shows it', async () => {
      const topic = await newTopic(3);
      expect(await admin.ensureTopic(topic, 3)).toBe(false);
      expect(await admin.listTopics()).toContain(topic);
      expect(await admin.partitionBounds(topic)).toEqual(
        [0, 1, 2].map((partition) => ({ partition, low: '0', high: '0' })),
      );
    });

    it('partitionBounds gives each partition`s log start and end, and deleteTopic removes the topic', async () => {
      const topic = await newTopic(2);
      await publish(topic, values(5, 1));
      expect(await admin.partitionBounds(topic)).toEqual([
        { partition: 0, low: '0', high: '0' },
        { partition: 1, low: '0', high: '5' },
      ]);
      await deleteRecordsBelow(config, topic, 1, '2');
      expect((await admin.partitionBounds(topic))[1]).toEqual({ partition: 1, low: '2', high: '5' });
      await admin.deleteTopic(topic);
      await waitFor('the topic gone', async () => !(await admin.listTopics()).includes(topic), 30_000);
    });

    it('setGroupOffsets sets an empty group`s offsets, committedOffsets reads them, describeGroup and deleteGroups see the group', async () => {
      const topic = await newTopic(3);
      const groupId = newGroup();
      await publish(topic, values(5, 0));
      expect(await admin.committedOffsets(groupId, topic)).toEqual(new Map());
      await admin.setGroupOffsets(groupId, topic, [
        { partition: 0, offset: '3' },
        { partition: 2, offset: '0' },
      ]);
      expect(await admin.committedOffsets(groupId, topic)).toEqual(
        new Map([
          [0, '3'],
          [2, '0'],
        ]),
      );
      expect(await admin.describeGroup(groupId)).toEqual({ state: 'Empty', memberClientIds: [] });
      await admin.deleteGroups([groupId]);
      expect(await admin.describeGroup(groupId)).toEqual({ state: 'Dead', memberClientIds: [] });
      // A group that does not exist is not an error.
      await admin.deleteGroups([uniqueName('never-was')]);
    });

    it('offsetsForTime gives the first offset at or after a time, or the log end when none is', async () => {
      const topic = await newTopic(2);
      await publish(
        topic,
        [1_000, 2_000, 3_000].map((t, i) => ({
          partition: 0,
          key: null,
          value: `at ${t}`,
          timestamp: String(1_700_000_000_000 + t + i),
        })),
      );
      const at = (ms: number) => admin.offsetsForTime(topic, 1_700_000_000_000 + ms);
      expect(await at(0)).toEqual(
        new Map([
          [0, '0'],
          [1, '0'],
        ]),
      );
      expect(await at(1_500)).toEqual(
        new Map([
          [0, '1'],
          [1, '0'],
        ]),
      );
      expect(await at(9_000)).toEqual(
        new Map([
          [0, '3'],
          [1, '0'],
        ]),
      );
    });
  });

  describe('publisher', () => {
    it('puts a keyed record where the Java client would (murmur2), and one with a partition there', async () => {
      const topic = await newTopic(6);
      const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
      await publish(topic, [
        ...keys.map((key) => ({ key, value: key })),
        { partition: 4, key: 'user-0', value: 'pinned' },
      ]);
      const landed = await readBack(topic);
      for (const [partition, records] of landed)
        for (const r of records) {
          const value = r.value!.toString();
          expect(partition, value).toBe(value === 'pinned' ? 4 : javaPartition(value, 6));
        }
      expect([...landed.values()].flat()).toHaveLength(41);
      // More than one partition used: a partitioner that put everything in one would pass the above
      // only if murmur2 said so for all 40 keys.
      expect([...landed.values()].filter((r) => r.length > 0).length).toBeGreaterThan(3);
    });

    it('writes keys, values, headers and timestamps as given, and a tombstone as a null value', async () => {
      const topic = await newTopic(3);
      const binary = Buffer.from([0xff, 0x00, 0x80]);
      await publish(topic, [
        { partition: 2, key: 'a', value: 'first', headers: { trace: 't-1', raw: binary }, timestamp: '1700000000123' },
        { partition: 2, key: Buffer.from('b'), value: null },
        { partition: 2, key: null, value: binary },
      ]);
      const [first, tombstone, keyless] = (await readBack(topic)).get(2)!;
      expect(first!.key).toEqual(Buffer.from('a'));
      expect(first!.value).toEqual(Buffer.from('first'));
      expect(first!.timestamp).toBe('1700000000123');
      expect(Buffer.from(first!.headers!.trace as Buffer).toString()).toBe('t-1');
      expect(Buffer.from(first!.headers!.raw as Buffer)).toEqual(binary);
      expect(tombstone).toMatchObject({ offset: '1', key: Buffer.from('b'), value: null });
      expect(keyless).toMatchObject({ offset: '2', key: null, value: binary });
    });
  });

  describe('group consumer', () => {
    it('onJoined reports the held partitions, sorted; a second member shares them; stop leaves the group', async () => {
      const topic = await newTopic(3);
      const groupId = newGroup();
      const a = member(topic, groupId);
      await a.consumer.start();
      await waitFor('the first join', () => a.joins.length > 0, 60_000);
      expect(a.joins[0]).toEqual([0, 1, 2]);
      await waitFor('a stable group of one', async () => {
        const group = await admin.describeGroup(groupId);
        return group.state === 'Stable' && group.memberClientIds.length === 1;
      });

      const b = member(topic, groupId);
      await b.consumer.start();
      await waitFor('both members holding partitions', () => b.joins.length > 0 && a.joins.length > 1, 60_000);
      const held = [...a.joins.at(-1)!, ...b.joins.at(-1)!];
      expect(held.sort()).toEqual([0, 1, 2]);
      for (const joins of [a.joins, b.joins]) expect(joins.at(-1)).toEqual([...joins.at(-1)!].sort((x, y) => x - y));

      await a.consumer.stop();
      await b.consumer.stop();
      await waitFor(
        'no member left',
        async () => (await admin.describeGroup(groupId)).memberClientIds.length === 0,
        30_000,
      );
      expect(a.failures).toEqual([]);
      expect(b.failures).toEqual([]);
    });

    it('start resolves once the consumer runs, before it has joined; the records follow the join', async () => {
      const topic = await newTopic(1);
      await publish(topic, values(3));
      const m = member(topic, newGroup());
      await m.consumer.start();
      expect(m.joins).toEqual([]);
      await waitFor('the three records', () => m.taken.length >= 3, 60_000);
      expect(m.joins).toEqual([[0]]);
      expect(m.taken).toEqual(['0', '1', '2']);
    });

    it('records a handler does not take come again, from the first one it left', async () => {
      const topic = await newTopic(1);
      await publish(topic, values(10));
      // Takes 3 of the first hand-over, none of the second, then everything.
      const m = member(topic, newGroup(), {
        take: (fetched, call) => (call === 0 ? 3 : call === 1 ? 0 : fetched.records.length),
      });
      await m.consumer.start();
      await waitFor('all ten taken', () => m.taken.length >= 10, 60_000);
      expect(m.taken).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      expect(m.runs[0]!.offsets[0]).toBe('0');
      expect(m.runs[1]!.offsets[0]).toBe('3');
      expect(m.runs[2]!.offsets[0]).toBe('3');
    });

    it('a commit is where the next member of the group starts', async () => {
      const topic = await newTopic(1);
      const groupId = newGroup();
      await publish(topic, values(10));
      const first = member(topic, groupId);
      await first.consumer.start();
      await waitFor('all ten taken', () => first.taken.length >= 10, 60_000);
      // The port commits the next offset to read.
      await first.consumer.commit([{ partition: 0, offset: '6' }]);
      expect(await admin.committedOffsets(groupId, topic)).toEqual(new Map([[0, '6']]));
      await first.consumer.stop();

      const second = member(topic, groupId);
      await second.consumer.start();
      await waitFor('the rest taken', () => second.taken.length >= 4, 60_000);
      expect(second.taken).toEqual(['6', '7', '8', '9']);
    });

    it('seek fetches a held partition again from the offset given', async () => {
      const topic = await newTopic(1);
      await publish(topic, values(10));
      const m = member(topic, newGroup());
      await m.consumer.start();
      await waitFor('all ten taken', () => m.taken.length >= 10, 60_000);
      m.consumer.seek(0, '2');
      await waitFor('offsets 2..9 again', () => m.taken.length >= 18, 60_000);
      expect(m.taken.slice(10)).toEqual(['2', '3', '4', '5', '6', '7', '8', '9']);
      // Records published after the seek follow on.
      await publish(topic, values(1));
      await waitFor('the new record', () => m.taken.includes('10'), 60_000);
    });

    it('a gate that refuses the first join keeps the member out and reports it through onFailed', async () => {
      const topic = await newTopic(2);
      const groupId = newGroup();
      await publish(topic, values(3));
      const asked: number[] = [];
      const m = member(topic, groupId, {
        beforeJoin: () => {
          asked.push(Date.now());
          throw new RejoinRefusedError('this test says no');
        },
      });
      await m.consumer.start();
      await waitFor('onFailed', () => m.failures.length > 0, 60_000);
      expect(m.failures[0]!.message).toContain('this test says no');
      expect(asked.length).toBeGreaterThan(0);
      expect(m.joins).toEqual([]);
      expect(m.runs).toEqual([]);
      expect((await admin.describeGroup(groupId)).memberClientIds).toEqual([]);
    });

    it('a gate that refuses a rejoin (a rebalance) keeps the member out; the others get its partitions', async () => {
      const topic = await newTopic(3);
      const groupId = newGroup();
      await publish(topic, values(3, 0));
      let refuse = false;
      const gated = member(topic, groupId, {
        beforeJoin: () => {
          if (refuse) throw new RejoinRefusedError('the sensor moved');
        },
      });
      await gated.consumer.start();
      await waitFor('the gated member`s records', () => gated.taken.length >= 3, 60_000);

      refuse = true;
      const other = member(topic, groupId);
      await other.consumer.start();
      await waitFor('the gated member out', () => gated.failures.length > 0, 60_000);
      expect(gated.failures[0]!.message).toContain('the sensor moved');
      await waitFor('the other member holding every partition', () => other.joins.at(-1)?.length === 3, 60_000);
      expect(gated.joins).toHaveLength(1);

      const runsBefore = gated.runs.length;
      await publish(topic, values(2, 1));
      await waitFor('the other member`s records', () => other.taken.length >= 5, 60_000);
      expect(gated.runs).toHaveLength(runsBefore);
      expect((await admin.describeGroup(groupId)).memberClientIds).toHaveLength(1);
    });
  });

  describe('range reader', () => {
    it('reads exactly the offsets asked for, in order', async () => {
      const topic = await newTopic(2);
      await publish(topic, values(20, 1));
      const reader = kafka.rangeReader({ topic, groupIdPrefix: uniqueName('port-reader') });
      toClose.push(() => reader.close());
      const middle = await reader.read(1, '5', '9');
      expect(middle.map((r) => [r.offset, r.value!.toString()])).toEqual(
        [5, 6, 7, 8, 9].map((i) => [String(i), `v${i}`]),
      );
      expect((await reader.read(1, '0', '0')).map((r) => r.offset)).toEqual(['0']);
      expect((await reader.read(1, '19', '19')).map((r) => r.offset)).toEqual(['19']);
      expect(await reader.read(1, '3', '2')).toEqual([]);
    });

    it('leaves out the offsets of transaction markers and aborted records', async () => {
      const topic = await newTopic(1);
      const producer = createKafka(config, logger).producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        transactionalId: uniqueName('port-tx'),
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await producer.connect();
      toClose.push(() => producer.disconnect());
      // Offsets: 0-1 committed, 2 marker, 3 aborted, 4 marker, 5 committed, 6 marker.
      for (const [keys, commit] of [
        [['a', 'b'], true],
        [['x'], false],
        [['c'], true],
      ] as const) {
        const tx = await producer.transaction();
        await tx.send({ topic, messages: keys.map((key) => ({ key, value: key })) });
        await (commit ? tx.commit() : tx.abort());
      }
      await waitFor('the last marker in the log', async () => (await admin.partitionBounds(topic))[0]?.high === '7');
      const reader = kafka.rangeReader({ topic, groupIdPrefix: uniqueName('port-reader'), readTimeoutMs: 15_000 });
      toClose.push(() => reader.close());
      expect((await reader.read(0, '0', '6')).map((r) => [r.offset, r.key!.toString()])).toEqual([
        ['0', 'a'],
        ['1', 'b'],
        ['5', 'c'],
      ]);
      expect(await reader.read(0, '2', '4')).toEqual([]);
    });

    it('leaves out an aborted transaction larger than one fetch, in a range read and in a group consumer', async () => {
      const topic = await newTopic(1);
      const producer = createKafka(config, logger).producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        transactionalId: uniqueName('port-big-tx'),
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await producer.connect();
      toClose.push(() => producer.disconnect());
      // 0 committed, 1 marker; 2-25 aborted (1.5 MiB: more than one fetch holds), 26 marker;
      // 27 committed, 28 marker.
      const big = 'x'.repeat(65_536);
      for (const [messages, commit] of [
        [[{ key: 'a', value: 'a' }], true],
        [Array.from({ length: 24 }, (_, i) => ({ key: `aborted-${i}`, value: big })), false],
        [[{ key: 'b', value: 'b' }], true],
      ] as const) {
        const tx = await producer.transaction();
        // One send (one batch) per record: the broker takes at most 1 MiB in one request.
        for (const message of messages) await tx.send({ topic, messages: [message] });
        await (commit ? tx.commit() : tx.abort());
      }
      await waitFor('the last marker in the log', async () => (await admin.partitionBounds(topic))[0]?.high === '29');
      const reader = kafka.rangeReader({ topic, groupIdPrefix: uniqueName('port-reader'), readTimeoutMs: 15_000 });
      toClose.push(() => reader.close());
      expect((await reader.read(0, '0', '28')).map((r) => r.key!.toString())).toEqual(['a', 'b']);
      expect(await reader.read(0, '3', '25')).toEqual([]);

      const m = member(topic, newGroup());
      await m.consumer.start();
      await waitFor('the committed records handed over', () => m.taken.includes('27'), 30_000);
      expect(m.taken).toEqual(['0', '27']);
    });

    it('throws RecordsUnavailableError, with the log bounds, beyond the log end or below its start', async () => {
      const topic = await newTopic(1);
      await publish(topic, values(10));
      const reader = kafka.rangeReader({ topic, groupIdPrefix: uniqueName('port-reader'), readTimeoutMs: 15_000 });
      toClose.push(() => reader.close());
      const beyond = await reader.read(0, '8', '12').catch((err: unknown) => err);
      expect(beyond).toBeInstanceOf(RecordsUnavailableError);
      expect(beyond).toMatchObject({ logStart: '0', logEnd: '10' });

      await deleteRecordsBelow(config, topic, 0, '4');
      const below = await reader.read(0, '2', '6').catch((err: unknown) => err);
      expect(below).toBeInstanceOf(RecordsUnavailableError);
      expect(below).toMatchObject({ logStart: '4', logEnd: '10' });
      expect((await reader.read(0, '4', '6')).map((r) => r.offset)).toEqual(['4', '5', '6']);
    });
  });
});

describe('members of both clients in one group', () => {
  it('share its partitions: a group can move from one client to the other a worker at a time', async () => {
    const config = testConfig();
    const clients = await Promise.all(
      KAFKA_CLIENTS.map((kafkaClient) => createKafkaClient({ ...config, kafkaClient }, logger)),
    );
    const admin = await clients[0]!.admin();
    const consumers: GroupConsumer[] = [];
    try {
      await admin.ensureTopic(config.topic, 4);
      const held = clients.map(() => [] as number[]);
      const failures: Error[] = [];
      for (const [i, kafka] of clients.entries()) {
        const consumer = kafka.groupConsumer({
          topic: config.topic,
          groupId: config.groupId,
          fromBeginning: true,
          sessionTimeoutMs: 10_000,
          onJoined: (partitions) => void (held[i] = partitions),
          onFailed: (error) => failures.push(error),
          onRecords: async ({ records }) => records.length,
        });
        consumers.push(consumer);
        await consumer.start();
      }
      await waitFor('both members holding partitions', () => held.every((p) => p.length > 0), 60_000);
      expect(held.flat().sort()).toEqual([0, 1, 2, 3]);
      expect(failures).toEqual([]);
      expect((await admin.describeGroup(config.groupId)).memberClientIds).toHaveLength(2);
    } finally {
      for (const consumer of consumers) await consumer.stop();
      await admin.deleteGroups([config.groupId]);
      await admin.deleteTopic(config.topic).catch(() => undefined);
      await admin.close();
      rmSync(config.sinkDir, { recursive: true, force: true });
    }
  });
});
