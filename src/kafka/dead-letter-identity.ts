// When two dead letters are the same record. The dead-letter topic may hold a record more than once,
// and nothing on the publishing side can prevent it: a run's activity publishes its dead letters,
// then reports to Temporal, and if its worker dies in between, the retry (on any worker) publishes
// them again; Kafka's idempotent producer only drops the resends of one producer session, not those
// of another process. Two runs may also dead-letter one record: a batch re-read with other
// boundaries after a rebalance, or two pipelines (consumer groups) sharing the dead-letter topic.
// So the readers, `npm run dlq` and its replay (./dead-letter-replay.ts), show and send each source
// record once, by the key below. Pure logic; the records come from ./dead-letter-replay.ts.

/** What a dead letter says about the record it holds (from its dlq.* headers), and where it is. */
export interface DeadLetterOrigin {
  dlqPartition: number;
  dlqOffset: string;
  sourceTopic: string;
  sourcePartition: string;
  sourceOffset: string;
  /** The source record's Kafka timestamp. */
  sourceTimestamp: string;
  runId: string;
}

/** What the readers add to a dead letter: how many copies of it the topic holds, and from which runs. */
export interface DeadLetterCopies {
  /** Times the dead-letter topic holds this source record (1 unless it was published again). */
  copies: number;
  /** Runs other than `runId` that dead-lettered it too: of another pipeline, or a re-read batch. */
  otherRuns: string[];
}

/**
 * The source record a dead letter holds: its topic, partition and offset, which name one record
 * forever, and its timestamp, which tells a record of a topic deleted and created again (offsets
 * restart at 0) from the record that had its offset before. The consumer group is left out on
 * purpose: a record two pipelines rejected is one record, and replaying it once to its topic
 * reaches both pipelines; sent once per pipeline, each would read it twice. A letter that names no
 * source is only ever itself.
 */
export function deadLetterKey(r: DeadLetterOrigin): string {
  if (r.sourceTopic === '' || r.sourceOffset === '') return `dlq\u0000${r.dlqPartition}\u0000${r.dlqOffset}`;
  return [r.sourceTopic, r.sourcePartition, r.sourceOffset, r.sourceTimestamp].join('\u0000');
}

/**
 * One letter per source record, the first copy in the order given, with the count of its copies
 * and the other runs that dead-lettered it.
 */
export function distinctDeadLetters<T extends DeadLetterOrigin & DeadLetterCopies>(records: T[]): T[] {
  const firsts = new Map<string, T>();
  for (const r of records) {
    const key = deadLetterKey(r);
    const first = firsts.get(key);
    if (!first) {
      firsts.set(key, { ...r, copies: 1, otherRuns: [] });
      continue;
    }
    first.copies++;
    if (r.runId !== first.runId && !first.otherRuns.includes(r.runId)) first.otherRuns.push(r.runId);
  }
  return [...firsts.values()];
}
