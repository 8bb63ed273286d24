// The port's admin calls (../port.ts) on an @platformatic/kafka Admin. Offsets come from the library
// as bigints and leave as decimal strings; group states are given Kafka's own names.

import { Admin, FetchIsolationLevels, ListOffsetTimestamps } from '@platformatic/kafka';
import type { PartitionOffset } from '../../batch';
import type { GroupDescription, KafkaAdmin, PartitionBounds } from '../port';
import { untilTopicIsServed } from '../leaders';
import { protocolError } from './errors';

/**
 * Kafka's names for group states, as the Java admin and kafkajs report them and as callers compare
 * them. The library upper-cases what the broker sent (`Empty` comes as `EMPTY`, `PreparingRebalance`
 * as `PREPARINGREBALANCE`); later versions spell some with underscores.
 */
const GROUP_STATES = [
  'Empty',
  'Stable',
  'PreparingRebalance',
  'CompletingRebalance',
  'Dead',
  'Assigning',
  'Reconciling',
];

export function kafkaGroupState(state: string): string {
  const key = state.replace(/_/g, '').toLowerCase();
  return GROUP_STATES.find((name) => name.toLowerCase() === key) ?? state;
}

export class PlatformaticAdmin implements KafkaAdmin {
  constructor(private readonly admin: Admin) {}

  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  async ensureTopic(topic: string, partitions: number): Promise<boolean> {
    if ((await this.listTopics()).includes(topic)) return false;
    let created = true;
    try {
      // Replicas -1: the broker's default.replication.factor, as kafkajs asks.
      await this.admin.createTopics({ topics: [topic], partitions, replicas: -1 });
    } catch (err) {
      // Another process created it between the two calls.
      if (!protocolError(err, 'TOPIC_ALREADY_EXISTS')) throw err;
      created = false;
    }
    await untilTopicIsServed(
      topic,
      async () => {
        const metadata = await this.admin.metadata({ topics: [topic], forceUpdate: true });
        return (metadata.topics.get(topic)?.partitions ?? []).map((p) => p.leader);
      },
      () => this.partitionBounds(topic),
    );
    return created;
  }

  async deleteTopic(topic: string): Promise<void> {
    await this.admin.deleteTopics({ topics: [topic] });
  }

  async partitionBounds(topic: string): Promise<PartitionBounds[]> {
    const [low, high] = await Promise.all([
      this.offsetsAt(topic, ListOffsetTimestamps.EARLIEST),
      this.offsetsAt(topic, ListOffsetTimestamps.LATEST),
    ]);
    return [...low]
      .map(([partition, offset]) => ({ partition, low: offset, high: high.get(partition) ?? offset }))
      .sort((a, b) => a.partition - b.partition);
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    const partitions = await this.partitionsOf(topic);
    const [group] = await this.admin.listConsumerGroupOffsets({
      groups: [{ groupId, topics: [{ name: topic, partitionIndexes: partitions }] }],
    });
    const out = new Map<number, string>();
    // -1: the group has no offset for that partition.
    for (const t of group?.topics ?? [])
      for (const p of t.partitions)
        if (p.committedOffset >= 0n) out.set(p.partitionIndex, p.committedOffset.toString());
    return out;
  }

  async offsetsForTime(topic: string, timeMs: number): Promise<Map<number, string>> {
    const [atTime, ends] = await Promise.all([
      this.offsetsAt(topic, BigInt(timeMs)),
      this.offsetsAt(topic, ListOffsetTimestamps.LATEST),
    ]);
    // Kafka answers -1 where no record is that recent; the port says the log end then (as kafkajs).
    return new Map([...atTime].map(([p, offset]) => [p, offset === '-1' ? (ends.get(p) ?? offset) : offset]));
  }

  async setGroupOffsets(groupId: string, topic: string, offsets: PartitionOffset[]): Promise<void> {
    await this.admin.alterConsumerGroupOffsets({
      groupId,
      topics: [
        { name: topic, partitionOffsets: offsets.map((o) => ({ partition: o.partition, offset: BigInt(o.offset) })) },
      ],
    });
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const group = (await this.admin.describeGroups({ groups: [groupId] })).get(groupId);
    return {
      state: group ? kafkaGroupState(group.state) : 'Dead',
      memberClientIds: [...(group?.members.values() ?? [])].map((m) => m.clientId),
    };
  }

  async deleteGroups(groupIds: string[]): Promise<void> {
    // Best effort, as with kafkajs: a group that does not exist (or still has members) stays as it is.
    await this.admin.deleteGroups({ groups: groupIds }).catch(() => undefined);
  }

  close(): Promise<void> {
    return this.admin.close();
  }

  private async partitionsOf(topic: string): Promise<number[]> {
    const metadata = await this.admin.metadata({ topics: [topic] });
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    return Array.from({ length: count }, (_, i) => i);
  }

  /** ListOffsets for every partition of `topic`: EARLIEST, LATEST or a time in ms. */
  private async offsetsAt(topic: string, timestamp: bigint): Promise<Map<number, string>> {
    const partitions = await this.partitionsOf(topic);
    const answer = await this.admin.listOffsets({
      // Read committed, as kafkajs lists them: the log end is the last stable offset.
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) }],
    });
    const out = new Map<number, string>();
    for (const t of answer) for (const p of t.partitions) out.set(p.partitionIndex, p.offset.toString());
    return out;
  }
}
