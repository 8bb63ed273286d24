// The port's admin calls (../port.ts) on a kafkajs Admin.

import type { Admin } from 'kafkajs';
import type { PartitionOffset } from '../../batch';
import type { GroupDescription, KafkaAdmin, PartitionBounds } from '../port';
import { untilTopicIsServed } from '../leaders';

export class KafkajsAdmin implements KafkaAdmin {
  constructor(private readonly admin: Admin) {}

  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  async ensureTopic(topic: string, partitions: number): Promise<boolean> {
    // Asking first keeps kafkajs from logging TOPIC_ALREADY_EXISTS as an error.
    if ((await this.admin.listTopics()).includes(topic)) return false;
    // Not kafkajs's waitForLeaders (on by default): it gives up on UNKNOWN_TOPIC_OR_PARTITION, which
    // a busy KRaft broker returns for a moment after creating the topic, before its metadata caught up.
    const created = await this.admin.createTopics({
      topics: [{ topic, numPartitions: partitions }],
      waitForLeaders: false,
    });
    await untilTopicIsServed(
      topic,
      async () => {
        const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
        return (topics[0]?.partitions ?? []).map((p) => p.leader);
      },
      () => this.partitionBounds(topic),
    );
    return created;
  }

  async deleteTopic(topic: string): Promise<void> {
    await this.admin.deleteTopics({ topics: [topic], timeout: 30_000 });
  }

  async partitionBounds(topic: string): Promise<PartitionBounds[]> {
    const offsets = await whileStartingUp(() => this.admin.fetchTopicOffsets(topic));
    return offsets
      .map(({ partition, low, high }) => ({ partition, low, high }))
      .sort((a, b) => a.partition - b.partition);
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    const [forTopic] = await whileStartingUp(() => this.admin.fetchOffsets({ groupId, topics: [topic] }));
    const out = new Map<number, string>();
    // kafkajs says "-1" for a partition the group has no offset for.
    for (const p of forTopic?.partitions ?? []) if (p.offset !== '-1') out.set(p.partition, p.offset);
    return out;
  }

  async offsetsForTime(topic: string, timeMs: number): Promise<Map<number, string>> {
    const answer = await whileStartingUp(() => this.admin.fetchTopicOffsetsByTimestamp(topic, timeMs));
    return new Map(answer.map((p) => [p.partition, p.offset]));
  }

  async setGroupOffsets(groupId: string, topic: string, offsets: PartitionOffset[]): Promise<void> {
    await whileStartingUp(() => this.admin.setOffsets({ groupId, topic, partitions: offsets }));
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const { groups } = await whileStartingUp(() => this.admin.describeGroups([groupId]));
    return { state: groups[0]?.state ?? 'Dead', memberClientIds: (groups[0]?.members ?? []).map((m) => m.clientId) };
  }

  async deleteGroups(groupIds: string[]): Promise<void> {
    await this.admin.deleteGroups(groupIds).catch(() => undefined);
  }

  close(): Promise<void> {
    return this.admin.disconnect();
  }
}

/** Longest an admin call goes on retrying while the broker starts up. */
const RETRIABLE_FOR_MS = 15_000;

/** Kafka's answers (kafkajs's names) of a broker that is still starting its leaders or coordinators. */
const STARTING_UP = new Set([
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'GROUP_LOAD_IN_PROGRESS',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
]);

/**
 * `call`, tried again while Kafka answers that it is still starting up: a broker just started is
 * still loading the group coordinator or electing a partition's leader, and kafkajs's admin hands
 * some of these answers straight back. Any other error (a topic that does not exist) is thrown.
 */
async function whileStartingUp<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + RETRIABLE_FOR_MS;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!STARTING_UP.has((err as { type?: string }).type ?? '') || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
