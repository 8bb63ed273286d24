// Consumer-group lag per partition, as `kafka-consumer-groups --describe` shows it: the committed
// offset, the log-end offset and their difference. Used by `npm run lag`, the demo and the tests.

import type { KafkaAdmin } from './port';

export interface PartitionLag {
  partition: number;
  /** The group's committed offset; null when the group has committed nothing for the partition. */
  committed: string | null;
  logEnd: string;
  /** Records not yet committed; from the log start when nothing is committed. */
  lag: number;
}

export interface TopicLag {
  partitions: PartitionLag[];
  totalLag: number;
  totalLogEnd: number;
}

export async function topicLag(admin: KafkaAdmin, groupId: string, topic: string): Promise<TopicLag> {
  const [ends, committedBy] = await Promise.all([admin.partitionBounds(topic), admin.committedOffsets(groupId, topic)]);
  const partitions = ends
    .map((end) => {
      const committed = committedBy.get(end.partition) ?? null;
      const from = committed ?? end.low;
      return {
        partition: end.partition,
        committed,
        logEnd: end.high,
        lag: Math.max(0, Number(end.high) - Number(from)),
      };
    })
    .sort((a, b) => a.partition - b.partition);
  return {
    partitions,
    totalLag: partitions.reduce((sum, p) => sum + p.lag, 0),
    totalLogEnd: partitions.reduce((sum, p) => sum + Number(p.logEnd), 0),
  };
}
