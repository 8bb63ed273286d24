// The kafkajs range reader against the real broker: an offset range read back is exactly what a
// plain consumer sees at those offsets, whatever the range, and a closed reader leaves nothing
// running. It tests the kafkajs implementation itself, so it works with kafkajs directly where the
// port has nothing to offer: the plain consumer, a transactional producer, consumer groups'
// members, deleteRecords, and a consumer with a fault injected.

import { Partitioners, type Admin, type ConsumerConfig, type Kafka } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BatchMessage } from '../../src/batch';
import { toBatchMessage } from '../../src/kafka/encoding';
import { RecordsUnavailableError } from '../../src/errors';
import { createKafka } from '../../src/kafka/kafkajs/kafka';
import { KafkajsRangeReader, type KafkajsRangeReaderOptions } from '../../src/kafka/kafkajs/range-reader';
import type { OutgoingRecord } from '../../src/kafka/port';
import {
  cleanUp,
  connectServers,
  deleteRecordsBelow,
  logger,
  testConfig,
  testProducer,
  uniqueName,
  waitFor,
  type Servers,
} from '../helpers';

const PARTITIONS = 3;
const PER_PARTITION = 100;
// Message i goes to partition i % 3 at offset Math.floor(i / 3): these land at offsets 40 and 41 of partition 1.
const BINARY = 121;
const TOMBSTONE = 124;

const serverConfig = testConfig();
let servers: Servers;
/** The kafkajs client under the port, for what the port does not offer. */
let kafka: Kafka;
/** What each test opened, closed after it in reverse order. */
const toClose: Array<() => Promise<void>> = [];

beforeAll(async () => {
  servers = await connectServers(serverConfig);
  kafka = createKafka(serverConfig, logger);
});
afterEach(async () => {
  for (const close of toClose.splice(0).reverse()) await close();
});
afterAll(async () => {
  await cleanUp(serverConfig, servers.admin);
  await servers.close();
});

function message(i: number): OutgoingRecord {
  const headers = { trace: `t${i}`, n: String(i), ...(i === BINARY ? { raw: Buffer.from([0x80, 0xff]) } : {}) };
  const value = i === BINARY ? Buffer.from([0xff, 0xfe, 0x00, 0xc3]) : i === TOMBSTONE ? null : JSON.stringify({ i });
  return { partition: i % PARTITIONS, key: `key-${i}`, value, headers };
}

/** A topic of the test's own, and its records per partition as a plain consumer reads them. */
async function seededTopic(): Promise<{ topic: string; records: BatchMessage[][] }> {
  const config = testConfig();
  toClose.push(() => cleanUp(config, servers.admin));
  await servers.admin.ensureTopic(config.topic, PARTITIONS);
  const producer = testProducer(servers.kafka);
  // (The port's publisher waits for every in-sync replica: acks=all.)
  await producer.send(
    config.topic,
    Array.from({ length: PARTITIONS * PER_PARTITION }, (_, i) => message(i)),
  );
  await producer.close();
  return { topic: config.topic, records: await readAll(config.topic, PARTITIONS * PER_PARTITION) };
}

async function readAll(topic: string, expected: number): Promise<BatchMessage[][]> {
  const records: BatchMessage[][] = Array.from({ length: PARTITIONS }, () => []);
  let count = 0;
  const groupId = uniqueName('plain');
  // A short fetch wait: disconnect() waits out the fetch in flight.
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      records[partition]!.push(toBatchMessage(message));
      count++;
    },
  });
  await waitFor(`${expected} records`, () => count >= expected, 30_000);
  await consumer.disconnect();
  await servers.admin.deleteGroups([groupId]).catch(() => undefined);
  return records;
}

function openReader(topic: string, options: Partial<KafkajsRangeReaderOptions> = {}, client: Kafka = kafka) {
  const groupIdPrefix = uniqueName('rr');
  const raw = new KafkajsRangeReader(client, { topic, groupIdPrefix, logger, ...options });
  // Its records as they travel in a run: what the callers do with them (toBatchMessage).
  const reader = {
    read: async (partition: number, first: string, last: string) =>
      (await raw.read(partition, first, last)).map(toBatchMessage),
    close: () => raw.close(),
  };
  toClose.push(async () => {
    await reader.close();
    const groups = await readerGroups(groupIdPrefix);
    if (groups.length > 0) await servers.admin.deleteGroups(groups).catch(() => undefined);
  });
  return { reader, groupIdPrefix };
}

async function readerGroups(groupIdPrefix: string): Promise<string[]> {
  const { groups } = await withKafkaAdmin((admin) => admin.listGroups());
  return groups.map((g) => g.groupId).filter((id) => id.startsWith(`${groupIdPrefix}-range-reader-`));
}

/**
 * A kafkajs admin for one call: the port's admin neither lists groups nor names their members. A new
 * one each time, since a long-lived one keeps asking for the metadata of topics deleted since.
 */
async function withKafkaAdmin<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

function between(records: BatchMessage[], first: number, last: number): BatchMessage[] {
  return records.filter((r) => Number(r.offset) >= first && Number(r.offset) <= last);
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await work();
  return { result, ms: Math.round(performance.now() - start) };
}

describe('RangeReader', () => {
  it('reads a middle range as a plain consumer sees it: keys, values, headers, timestamps', async () => {
    const { topic, records } = await seededTopic();
    // The reference itself holds what the range must carry across: bytes that are not UTF-8, a tombstone.
    expect(records.map((r) => r.length)).toEqual([PER_PARTITION, PER_PARTITION, PER_PARTITION]);
    const binary = records[1]![40]!;
    expect(binary).toMatchObject({ offset: '40', key: { text: `key-${BINARY}` }, value: { base64: '//4Aww==' } });
    expect(binary.headers.raw).toEqual({ base64: 'gP8=' });
    expect(records[1]![41]).toMatchObject({ offset: '41', key: { text: `key-${TOMBSTONE}` }, value: null });

    const { reader } = openReader(topic);
    const read = await reader.read(1, '30', '59');
    expect(read.map((r) => r.offset)).toEqual(Array.from({ length: 30 }, (_, i) => String(30 + i)));
    expect(read).toEqual(between(records[1]!, 30, 59));
    expect(read[0]!.timestamp).toMatch(/^\d{13}$/);
  });

  it('reads the first record of a partition', async () => {
    const { topic, records } = await seededTopic();
    const { reader } = openReader(topic);
    const read = await reader.read(0, '0', '0');
    expect(read).toEqual([records[0]![0]]);
    expect(read[0]).toMatchObject({ offset: '0', key: { text: 'key-0' }, value: { text: '{"i":0}' } });
  });

  it('reads the last record of a partition', async () => {
    const { topic, records } = await seededTopic();
    const { reader } = openReader(topic);
    const read = await reader.read(2, '99', '99');
    expect(read).toEqual([records[2]![99]]);
    expect(read[0]).toMatchObject({ offset: '99', key: { text: 'key-299' }, headers: { n: { text: '299' } } });
  });

  it('reads a single offset in the middle of a partition', async () => {
    const { topic, records } = await seededTopic();
    const { reader } = openReader(topic);
    const read = await reader.read(1, '57', '57');
    expect(read).toEqual([records[1]![57]]);
    expect(read[0]!.key).toEqual({ text: `key-${57 * 3 + 1}` });
  });

  it('reads a whole partition', async () => {
    const { topic, records } = await seededTopic();
    const { reader } = openReader(topic);
    const read = await reader.read(0, '0', '99');
    expect(read).toHaveLength(PER_PARTITION);
    expect(read).toEqual(records[0]);
  });

  it('reads several ranges in a row, on different partitions and backwards, in one consumer group', async () => {
    const { topic, records } = await seededTopic();
    const { reader, groupIdPrefix } = openReader(topic);
    const ranges: Array<[number, number, number]> = [
      [2, 10, 19],
      [0, 50, 59],
      [1, 0, 99],
      [0, 5, 9],
      [2, 90, 99],
      [2, 10, 12],
    ];
    const times: number[] = [];
    for (const [partition, first, last] of ranges) {
      const { result, ms } = await timed(() => reader.read(partition, String(first), String(last)));
      expect(result).toEqual(between(records[partition]!, first, last));
      expect(result).toHaveLength(last - first + 1);
      times.push(ms);
    }
    logger.info('range reads', { firstWithGroupJoinMs: times[0], laterMs: times.slice(1) });
    expect(await readerGroups(groupIdPrefix)).toHaveLength(1);
  });

  it('serves reads issued at once, each with its own records', async () => {
    const { topic, records } = await seededTopic();
    const { reader } = openReader(topic);
    const ranges: Array<[number, number, number]> = [
      [0, 0, 33],
      [1, 20, 20],
      [2, 40, 99],
      [0, 34, 99],
      [1, 0, 99],
      [2, 0, 5],
    ];
    const reads = await Promise.all(ranges.map(([p, first, last]) => reader.read(p, String(first), String(last))));
    reads.forEach((read, i) => {
      const [partition, first, last] = ranges[i]!;
      expect(read).toEqual(between(records[partition]!, first, last));
      expect(read).toHaveLength(last - first + 1);
    });
  });

  it('throws RecordsUnavailableError, with the log bounds, for a range that reaches past the end of the log', async () => {
    // A range that was consumed once and now reaches past the log: the topic was recreated or truncated.
    const { topic, records } = await seededTopic();
    const { reader } = openReader(topic, { readTimeoutMs: 15_000 });
    for (const [first, last] of [
      ['95', '500'],
      ['100', '200'],
      ['99', '18446744073709551615'],
    ] as const) {
      const error = await reader.read(1, first, last).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RecordsUnavailableError);
      expect((error as RecordsUnavailableError).message).toContain(`${topic}/1 offsets ${first}..${last}`);
      expect((error as RecordsUnavailableError).message).toContain('its log ends at offset 99');
      expect([(error as RecordsUnavailableError).logStart, (error as RecordsUnavailableError).logEnd]).toEqual([
        '0',
        '100',
      ]);
    }
    // The reader goes on serving ranges that are there.
    expect(await reader.read(1, '95', '99')).toEqual(between(records[1]!, 95, 99));
  });

  it('throws RecordsUnavailableError for a range that starts below the log start after deleteRecords', async () => {
    const { topic, records } = await seededTopic();
    await deleteRecordsBelow(serverConfig, topic, 0, '20');
    const { reader } = openReader(topic);

    const error = await reader.read(0, '10', '30').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecordsUnavailableError);
    expect((error as Error).name).toBe('RecordsUnavailableError');
    expect((error as Error).message).toContain(`${topic}/0 offsets 10..30 are not all in Kafka`);
    expect((error as Error).message).toContain('its log starts at offset 20');
    expect((error as Error).message).toContain('retention or deleteRecords');
    expect((error as RecordsUnavailableError).logStart).toBe('20');
    // What is left, and the other partitions, read as before.
    expect(await reader.read(0, '20', '30')).toEqual(between(records[0]!, 20, 30));
    expect(await reader.read(1, '10', '30')).toEqual(between(records[1]!, 10, 30));
  });

  it('leaves out transaction markers and aborted records, without waiting for the timeout', async () => {
    const config = testConfig();
    toClose.push(() => cleanUp(config, servers.admin));
    const topic = config.topic;
    await servers.admin.ensureTopic(topic, 1);
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      transactionalId: uniqueName('tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    toClose.push(() => producer.disconnect());
    // Offsets: 0-2 committed, 3 marker, 4-5 aborted, 6 marker, 7-8 committed, 9 marker.
    for (const [keys, commit] of [
      [['a', 'b', 'c'], true],
      [['x', 'y'], false],
      [['d', 'e'], true],
    ] as const) {
      const tx = await producer.transaction();
      await tx.send({ topic, messages: keys.map((key) => ({ key, value: key })) });
      await (commit ? tx.commit() : tx.abort());
    }
    // A commit returns once the coordinator has decided it; its marker reaches the partition a
    // moment later, and until then the log ends short of the range (as it did once under load).
    // A range the sensor consumed was always complete: wait for the last marker as it would have.
    await waitFor('the last transaction marker in the log', async () => {
      const [bounds] = await servers.admin.partitionBounds(topic);
      return bounds?.high === '10';
    });
    // A read that waited for records that never come would reject with the timeout error; each
    // of these resolving shows the reader saw the markers and stopped.
    const { reader } = openReader(topic, { readTimeoutMs: 15_000 });

    const all = await reader.read(0, '0', '9');
    expect(all.map((r) => [r.offset, r.key])).toEqual([
      ['0', { text: 'a' }],
      ['1', { text: 'b' }],
      ['2', { text: 'c' }],
      ['7', { text: 'd' }],
      ['8', { text: 'e' }],
    ]);
    expect(await reader.read(0, '4', '6')).toEqual([]);
    // Offset 9 is the last marker: a fetch from there returns no record for eachBatch at all.
    expect(await reader.read(0, '9', '9')).toEqual([]);
  });

  it('fails a read that takes longer than readTimeoutMs, and reads again afterwards', async () => {
    const { topic, records } = await seededTopic();
    const { reader } = openReader(topic, { readTimeoutMs: 3_000 }, withFirstResumeLost(kafka));

    const error = await reader.read(2, '10', '20').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      new RegExp(`reading ${topic}/2 offsets 10\\.\\.20 took longer than 3000 ms \\(0 record\\(s\\) read\\)`),
    );
    expect(await reader.read(2, '10', '20')).toEqual(between(records[2]!, 10, 20));
    expect(await reader.read(0, '0', '3')).toEqual(between(records[0]!, 0, 3));
  });

  it('close() leaves the group, fails a waiting read, may be called twice or before any read, and later reads fail', async () => {
    const { topic, records } = await seededTopic();
    const { reader, groupIdPrefix } = openReader(topic);
    expect(await reader.read(1, '0', '9')).toEqual(between(records[1]!, 0, 9));
    const [groupId] = await readerGroups(groupIdPrefix);
    const before = await withKafkaAdmin((admin) => admin.describeGroups([groupId!]));
    expect(before.groups[0]!.members).toHaveLength(1);

    // (A close that hung would end this test by its timeout; no timing is asserted.)
    await reader.close();
    await reader.close();
    const after = await withKafkaAdmin((admin) => admin.describeGroups([groupId!]));
    expect(after.groups[0]!.members).toEqual([]);
    await expect(reader.read(1, '0', '9')).rejects.toThrow('RangeReader closed');

    // A read waiting for records fails at once when its reader closes.
    const stuck = openReader(topic, {}, withFirstResumeLost(kafka));
    const waiting = stuck.reader.read(0, '0', '9').catch((e: unknown) => e);
    await waitFor('the reader to join its group', async () => (await readerGroups(stuck.groupIdPrefix)).length > 0);
    await stuck.reader.close();
    // Not the read's own timeout error (60 s away): the close ended it.
    expect(await waiting).toEqual(new Error('RangeReader closed'));

    const unused = openReader(topic);
    await unused.reader.close();
    expect(await readerGroups(unused.groupIdPrefix)).toEqual([]);
  });
});

/** A client whose consumers ignore their first resume(): a fetch that never comes. */
function withFirstResumeLost(client: Kafka): Kafka {
  const consumer = (config: ConsumerConfig) => {
    const inner = client.consumer(config);
    const resume = inner.resume;
    let lost = false;
    inner.resume = (topics) => {
      if (lost) resume(topics);
      lost = true;
    };
    return inner;
  };
  return { admin: () => client.admin(), consumer } as Pick<Kafka, 'admin' | 'consumer'> as Kafka;
}
