// `npm run records -- <run workflow ID>`: prints the records a MicroBatchRun covers, one JSON line
// each (scripts/printable.ts: JSON values as JSON, text as text, other bytes as base64), read back
// from Kafka by the offsets in its ID. With BATCH_PAYLOAD=offsets a run's history holds only its
// range; this is how a person sees what it loaded (or what it will load). It says on stderr when
// Temporal has no such run and which offsets Kafka does not hold (scripts/records-plan.ts).

import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { parseArgs } from 'node:util';
import { parseRunWorkflowId } from '../src/batch';
import { loadConfigOrExit, type Config } from '../src/config';
import { createKafkaClient } from '../src/kafka/client';
import { toBatchMessage } from '../src/kafka/encoding';
import { createLogger } from '../src/logger';
import { connectAdmin, temporalConnectionOptions } from '../src/workers/connect';
import { describe } from '../src/workers/retry';
import { exitOnError } from '../src/workers/exit';
import { recordLine } from './printable';
import { planRecordsRead, type RunLookup } from './records-plan';

const USAGE = 'usage: npm run records -- microbatch-<topic>-p<partition>-<first offset>-<last offset>@<group>';

/** Asks Temporal about the run, briefly: the records are in Kafka, so Temporal being away only earns a note. */
async function lookUpRun(config: Config, workflowId: string): Promise<RunLookup> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...temporalConnectionOptions(config.temporal), connectTimeout: '3s' });
    const client = new Client({ connection, namespace: config.temporalNamespace });
    const description = await client.workflow.getHandle(workflowId).describe();
    return { state: 'found', status: description.status.name };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { state: 'missing', namespace: config.temporalNamespace };
    return { state: 'unknown', reason: describe(err) };
  } finally {
    await connection?.close();
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const { positionals } = parseArgs({ allowPositionals: true });
  const workflowId = positionals[0];
  const range = workflowId ? parseRunWorkflowId(workflowId) : undefined;
  if (!workflowId || !range || positionals.length > 1) {
    console.error(workflowId && !range ? `"${workflowId}" is not a MicroBatchRun workflow ID\n${USAGE}` : USAGE);
    process.exitCode = 2;
    return;
  }
  const logger = createLogger(config.logLevel, 'records');
  const kafka = await createKafkaClient(config, logger);
  const run = await lookUpRun(config, workflowId);

  // Waits for Kafka like every other command, and stops at once on refused security settings.
  const admin = await connectAdmin(kafka, config, logger);
  let log: { low: string; high: string } | undefined;
  try {
    if (!(await admin.listTopics()).includes(range.topic)) {
      console.error(`topic ${range.topic} does not exist`);
      process.exitCode = 1;
      return;
    }
    log = (await admin.partitionBounds(range.topic)).find((o) => o.partition === range.partition);
  } finally {
    await admin.close();
  }
  if (!log) {
    console.error(`topic ${range.topic} has no partition ${range.partition}`);
    process.exitCode = 1;
    return;
  }

  const plan = planRecordsRead({ workflowId, ...range }, log, run);
  for (const note of plan.notes) console.error(note);
  let printed = 0;
  if (plan.read) {
    // The run's own group names the reader's group (for clients that need one).
    const reader = kafka.rangeReader({ topic: range.topic, groupIdPrefix: range.groupId });
    try {
      const records = await reader.read(range.partition, plan.read.first, plan.read.last);
      for (const record of records) console.log(recordLine(range.partition, toBatchMessage(record)));
      printed = records.length;
    } finally {
      await reader.close();
    }
  }
  const status = run.state === 'found' ? `; run ${run.status.toLowerCase()}` : '';
  console.error(
    `${printed} record(s) of ${range.topic} partition ${range.partition}, offsets ${range.firstOffset}–${range.lastOffset}${status}`,
  );
}

main().catch(exitOnError('records'));
