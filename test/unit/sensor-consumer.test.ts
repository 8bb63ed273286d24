// The sensor's consumer (src/kafka/sensor-consumer.ts) over a client that hands over records when
// the test says: what its takes wait for.

import { describe, expect, it } from 'vitest';
import type { GroupConsumerOptions, KafkaAdmin, KafkaClient, KafkaRecord } from '../../src/kafka/port';
import { SensorConsumer, type TakeRequest } from '../../src/kafka/sensor-consumer';

/** A client whose one group consumer is fed by `deliver` (partition 0, already joined). */
function fakeClient() {
  let options: GroupConsumerOptions | undefined;
  let next = 0;
  const kafka = {
    admin: async () => ({ close: async () => undefined }) as unknown as KafkaAdmin,
    groupConsumer: (o: GroupConsumerOptions) => {
      options = o;
      return {
        start: async () => o.onJoined?.([0]),
        commit: async () => undefined,
        seek: () => undefined,
        stop: async () => undefined,
      };
    },
  } as unknown as KafkaClient;
  /** Hands over `count` records, as one fetch. */
  const deliver = (count: number) => {
    const records: KafkaRecord[] = Array.from({ length: count }, () => ({
      offset: String(next++),
      key: null,
      value: Buffer.from('v'),
      timestamp: '0',
    }));
    return options!.onRecords({ partition: 0, records, isCurrent: () => true, heartbeat: async () => undefined });
  };
  return { kafka, deliver };
}

const request: TakeRequest = {
  maxMessages: 10,
  maxBytes: 1_000_000,
  maxBatches: 10,
  maxTotalBytes: 10_000_000,
  // Long enough that no take in these tests ends by it.
  maxWaitMs: 600_000,
  skipThrough: {},
};

/** Lets every pending callback and promise run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the sensor consumer', () => {
  it('hands out its first records as soon as they are fetched, then waits for full batches', async () => {
    const { kafka, deliver } = fakeClient();
    const consumer = new SensorConsumer(kafka, {
      topic: 't',
      groupId: 'g',
      fromBeginning: true,
      bufferMessages: 100,
      bufferBytes: 1_000_000,
    });
    await consumer.start();

    const first = consumer.take(request);
    await deliver(4);
    const taken = await first;
    expect(taken.batches.map((b) => b.count)).toEqual([4]);

    let second: number[] | undefined;
    void consumer.take(request).then((t) => (second = t.batches.map((b) => b.count)));
    await deliver(4);
    await settle();
    expect(second).toBeUndefined();
    await deliver(6);
    await settle();
    expect(second).toEqual([10]);
    await consumer.stop();
  });
});
