// A topic just created is usable once every partition has a leader; both clients' ensureTopic wait
// for that here, asking the brokers through their own metadata call.

/** Longest wait for a new topic's leaders. */
const LEADERS_TIMEOUT_MS = 30_000;

/**
 * Resolves once `leaders()` (each partition's leader id, below 0 for none) shows a leader for every
 * partition. A busy KRaft broker may answer UNKNOWN_TOPIC_OR_PARTITION for a moment after creating
 * the topic: errors are retried until the deadline, then thrown.
 */
export async function untilEveryPartitionHasALeader(topic: string, leaders: () => Promise<number[]>): Promise<void> {
  const deadline = Date.now() + LEADERS_TIMEOUT_MS;
  for (;;) {
    try {
      const ids = await leaders();
      if (ids.length > 0 && ids.every((id) => id >= 0)) return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`Kafka topic "${topic}" has no leader for every partition yet`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
