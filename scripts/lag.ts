// `npm run lag`: the consumer group's lag per partition (the columns of kafka-consumer-groups
// --describe), totals, and the MicroBatchRuns started but not finished in Temporal.
// `npm run lag -- --watch` refreshes every 2 seconds until Ctrl-C.

import { loadConfigOrExit } from '../src/config';
import { createKafkaClient } from '../src/kafka/client';
import { topicLag, type TopicLag } from '../src/kafka/lag';
import { createLogger } from '../src/logger';
import { countUnfinishedRuns } from '../src/runs';
import { connectAdmin, connectClient } from '../src/workers/connect';
import { exitOnError } from '../src/workers/exit';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, 'lag');
  const watch = process.argv.includes('--watch');
  const admin = await connectAdmin(await createKafkaClient(config, logger), config, logger);
  const client = await connectClient(config, logger);
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(config.topic)) {
      console.error(`Kafka topic "${config.topic}" does not exist yet (npm run producer creates it).`);
      process.exitCode = 1;
      return;
    }
    do {
      const [lag, unfinished] = await Promise.all([
        topicLag(admin, config.groupId, config.topic),
        countUnfinishedRuns(client, config).catch(() => undefined),
      ]);
      if (watch) console.clear();
      console.log(formatLag(config.topic, config.groupId, lag, unfinished));
      if (watch) await new Promise((r) => setTimeout(r, 2_000));
    } while (watch);
  } finally {
    await admin.close();
    await client.connection.close();
  }
}

export function formatLag(topic: string, group: string, lag: TopicLag, unfinishedRuns: number | undefined): string {
  const header = ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG'];
  const rows = lag.partitions.map((p) => [
    group,
    topic,
    String(p.partition),
    p.committed ?? '-',
    p.logEnd,
    String(p.lag),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [
    line(header),
    ...rows.map(line),
    '',
    `total lag: ${lag.totalLag}   log-end total: ${lag.totalLogEnd}   ` +
      `runs started but not finished: ${unfinishedRuns ?? 'unknown (Temporal not reachable)'}`,
  ].join('\n');
}

main().catch(exitOnError('lag'));
