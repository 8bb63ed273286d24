// The port's group consumer (../port.ts) on a kafkajs consumer: kafkajs pushes fetched batches
// (eachBatch), and the handler's answer of how many records it took is where kafkajs fetches on.
// start() returns once the consumer runs, before it has joined its group, as the port says.
// Round-robin assignment, through the rejoin gate (./gated-assigner.ts).

import { PartitionAssigners, type Consumer, type EachBatchPayload, type Kafka } from 'kafkajs';
import type { PartitionOffset } from '../../batch';
import type { GroupConsumer, GroupConsumerOptions } from '../port';
import { gatedAssigner } from './gated-assigner';

/** How long stop() lets a join under way finish before it disconnects anyway. */
const JOIN_WAIT_ON_STOP_MS = 5_000;

export class KafkajsGroupConsumer implements GroupConsumer {
  private readonly consumer: Consumer;
  private stopped = false;
  /** kafkajs's run(): resolves once the member has joined (or the join crashed). */
  private running: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    private readonly options: GroupConsumerOptions,
  ) {
    const { groupId, sessionTimeoutMs, beforeJoin, fetchMaxBytes } = options;
    this.consumer = kafka.consumer({
      groupId,
      sessionTimeout: sessionTimeoutMs,
      // kafkajs fetches up to 10 MiB at once by default, held until the handler has taken them all.
      ...(fetchMaxBytes && { maxBytes: fetchMaxBytes.total, maxBytesPerPartition: fetchMaxBytes.perPartition }),
      heartbeatInterval: 3_000,
      partitionAssigners: [gatedAssigner(PartitionAssigners.roundRobin, () => beforeJoin?.())],
      // kafkajs restarts a crashed consumer on a timer, even when the crash came from disconnect()
      // itself (a broker away at shutdown): the restart then outlived the close, kept the process
      // running after `worker stopped cleanly` and could rejoin the group. A stopped one stays down.
      retry: { retries: 5, restartOnFailure: async () => !this.stopped },
    });
    const consumer = this.consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const held = [...(event.payload.memberAssignment[options.topic] ?? [])].sort((a, b) => a - b);
      options.onJoined?.(held);
    });
    consumer.on(consumer.events.HEARTBEAT, () => options.onHeartbeat?.());
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) options.onFailed?.(event.payload.error);
    });
  }

  async start(): Promise<void> {
    const { topic, fromBeginning } = this.options;
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [topic], fromBeginning });
    // run() resolves only once the member has joined the group; the port's start() does not wait
    // for that (a claim that waited made the sensor's first consume call wait for it too: about
    // 0.35 s of every start). The sensor's first call waits for records, which follow the join. A
    // join that fails is reported by CRASH (onFailed), not by run().
    this.running = this.consumer
      .run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.handOver(payload),
      })
      .catch((err: unknown) => this.options.onFailed?.(err instanceof Error ? err : new Error(String(err))));
  }

  private async handOver({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const records = batch.messages;
    const taken = await this.options.onRecords({
      partition: batch.partition,
      records,
      isCurrent: () => isRunning() && !isStale(),
      heartbeat,
    });
    // kafkajs fetches the partition again after the last resolved offset.
    if (taken > 0) resolveOffset(records[taken - 1]!.offset);
    if (taken === records.length) await heartbeat();
  }

  async commit(offsets: PartitionOffset[]): Promise<void> {
    const { topic } = this.options;
    await this.consumer.commitOffsets(offsets.map((o) => ({ topic, partition: o.partition, offset: o.offset })));
  }

  seek(partition: number, offset: string): void {
    this.consumer.seek({ topic: this.options.topic, partition, offset });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // A join under way first ends: kafkajs would otherwise start fetching after the disconnect,
    // and the member would stay in the group until its session times out. But not for longer than
    // a join takes with the broker up: while it is down kafkajs retries the join for minutes, and a
    // worker asked to stop must not wait for them.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.running, new Promise((resolve) => (timer = setTimeout(resolve, JOIN_WAIT_ON_STOP_MS)))]);
    clearTimeout(timer);
    await this.consumer.disconnect();
  }
}
