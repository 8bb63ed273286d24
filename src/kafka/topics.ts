// Topic creation shared by the producer (source topic) and the worker (dead-letter topic).

import type { Admin } from 'kafkajs';
import type { Logger } from '../logger';

/** Creates the topic with `partitions` partitions unless it exists. Returns true if it created it. */
export async function ensureTopic(admin: Admin, topic: string, partitions: number, logger?: Logger): Promise<boolean> {
  // Asking first keeps kafkajs from logging TOPIC_ALREADY_EXISTS as an error.
  if ((await admin.listTopics()).includes(topic)) return false;
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: partitions }],
    waitForLeaders: true,
  });
  if (created) logger?.info('created topic', { topic, partitions });
  return created;
}
