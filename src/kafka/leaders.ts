// A topic just created is usable once every partition has a leader that serves it; both clients'
// ensureTopic wait for that here, asking the brokers through their own calls.

/** Longest wait for a new topic's leaders. */
const LEADERS_TIMEOUT_MS = 30_000;

/**
 * Resolves once `leaders()` (each partition's leader id, below 0 for none) shows a leader for every
 * partition and `serves()` (a call every leader must answer, such as the log bounds) succeeds. A
 * broker just started, or a busy one, names a leader in its metadata before that leader answers for
 * the partition (UNKNOWN_TOPIC_OR_PARTITION, "This server does not host this topic-partition"):
 * errors are retried until the deadline, then thrown.
 */
export async function untilTopicIsServed(
  topic: string,
  leaders: () => Promise<number[]>,
  serves: () => Promise<unknown>,
): Promise<void> {
  const deadline = Date.now() + LEADERS_TIMEOUT_MS;
  for (;;) {
    try {
      const ids = await leaders();
      if (ids.length > 0 && ids.every((id) => id >= 0)) {
        await serves();
        return;
      }
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`Kafka topic "${topic}" has no leader for every partition yet`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
