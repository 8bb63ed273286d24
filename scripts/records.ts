// `npm run records -- <run workflow ID>`: prints the records a MicroBatchRun covers, one JSON line
// each, read back from Kafka by the offsets in its ID. With BATCH_PAYLOAD=offsets a run's history
// holds only its range; this is how a person sees what it loaded (or what it will load).

import { parseRunWorkflowId } from '../src/batch';
import { loadConfigOrExit } from '../src/config';
import { createKafka } from '../src/kafka/client';
import { RangeReader } from '../src/kafka/range-reader';
import { createLogger } from '../src/logger';
import { describe } from '../src/workers/retry';

const USAGE = 'usage: npm run records -- microbatch-<topic>-p<partition>-<first offset>-<last offset>@<group>';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const workflowId = process.argv[2];
  const range = workflowId ? parseRunWorkflowId(workflowId) : undefined;
  if (!range) {
    console.error(workflowId ? `"${workflowId}" is not a MicroBatchRun workflow ID\n${USAGE}` : USAGE);
    process.exitCode = 2;
    return;
  }
  const logger = createLogger(config.logLevel, 'records');
  const reader = new RangeReader(createKafka(config, logger), {
    topic: range.topic,
    // The run's own group when its ID names one (IDs of runs started before groups were in them do not).
    groupIdPrefix: range.groupId ?? config.groupId,
    logger,
  });
  try {
    const records = await reader.read(range.partition, range.firstOffset, range.lastOffset);
    for (const record of records) console.log(JSON.stringify({ partition: range.partition, ...record }));
    console.error(
      `${records.length} record(s) of ${range.topic} partition ${range.partition}, offsets ${range.firstOffset}–${range.lastOffset}`,
    );
  } finally {
    await reader.close();
  }
}

main().catch((err) => {
  console.error(`records failed: ${describe(err)}`);
  process.exit(1);
});
