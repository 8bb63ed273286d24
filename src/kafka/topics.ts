// Topic creation shared by the producer (source topic) and the worker (dead-letter topic).

import type { Admin } from 'kafkajs';
import type { Logger } from '../logger';

/** How long a new topic may take to have a leader for every partition. */
const LEADERS_TIMEOUT_MS = 30_000;

/** Creates the topic with `partitions` partitions unless it exists. Returns true if it created it. */
export async function ensureTopic(admin: Admin, topic: string, partitions: number, logger?: Logger): Promise<boolean> {
  // Asking first keeps kafkajs from logging TOPIC_ALREADY_EXISTS as an error.
  if ((await admin.listTopics()).includes(topic)) return false;
  // Not kafkajs's waitForLeaders (on by default): it gives up on UNKNOWN_TOPIC_OR_PARTITION, which
  // a busy KRaft broker returns for a moment after creating the topic, before its metadata caught up.
  const created = await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: false });
  await waitForLeaders(admin, topic);
  if (created) logger?.info('created topic', { topic, partitions });
  return created;
}

async function waitForLeaders(admin: Admin, topic: string): Promise<void> {
  const deadline = Date.now() + LEADERS_TIMEOUT_MS;
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = topics[0]?.partitions ?? [];
      if (partitions.length > 0 && partitions.every((p) => p.leader >= 0)) return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`Kafka topic "${topic}" has no leader for every partition yet`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
