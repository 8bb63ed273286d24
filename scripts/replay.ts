// `npm run replay`: re-processes a range of KAFKA_TOPIC through MicroBatchRuns, by offsets or by
// time, on one partition or all, as one Replay workflow (src/workflows/replay.ts) whose runs have
// IDs of their own and never move the live group's offsets. Prints the plan, progress every 2 s
// and a summary. Ctrl-C leaves the replay running in Temporal and says how to watch or cancel it;
// `--watch NAME` follows one again, `--cancel NAME` cancels it (runs already started finish).
//
// Neighbours: src/replay/ (flags, offsets, starting); README "Replaying a range".

import type { WorkflowHandle } from '@temporalio/client';
import { replayWorkflowId } from '../src/batch';
import { loadConfigOrExit, type Config } from '../src/config';
import { createKafkaClient } from '../src/kafka/client';
import { createLogger } from '../src/logger';
import { parseReplayFlags } from '../src/replay/flags';
import { offsetsIn } from '../src/replay/plan';
import { resolveReplayRanges } from '../src/replay/resolve';
import { progressLine, startReplay, summary } from '../src/replay/start';
import { connectAdmin, connectClient } from '../src/workers/connect';
import { exitOnError } from '../src/workers/exit';
import { onShutdownSignals } from '../src/workers/shutdown-signals';
import type { Replay } from '../src/workflows';
import { replayStatusQuery } from '../src/workflows/replay';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const command = parseReplayFlags(process.argv.slice(2), new Date());
  const logger = createLogger(config.logLevel, 'replay');
  const client = await connectClient(config, logger);
  try {
    const id = (name: string) => replayWorkflowId(name, config.topic, config.groupId);
    if (command.command === 'cancel') {
      await client.workflow.getHandle(id(command.name)).cancel();
      console.log(`cancel requested for ${id(command.name)}: it starts no more runs; runs already started finish.`);
      return;
    }
    if (command.command === 'watch') {
      process.exitCode = await follow(client.workflow.getHandle<typeof Replay>(id(command.name)), command.name);
      return;
    }
    const { request, name, detach } = command;
    const admin = await connectAdmin(await createKafkaClient(config, logger), config, logger);
    let plan;
    try {
      if (!(await admin.listTopics()).includes(config.topic)) {
        throw new Error(`Kafka topic "${config.topic}" does not exist (KAFKA_TOPIC)`);
      }
      plan = await resolveReplayRanges(admin, config.topic, request);
    } finally {
      await admin.close();
    }
    for (const note of plan.notes) console.log(`note: ${note}`);
    if (plan.ranges.length === 0) {
      console.log('nothing to replay: Kafka holds no record in that range.');
      return;
    }
    printPlan(config, name, plan.ranges);
    const handle = await startReplay(client, config, name, plan.ranges);
    console.log(`started ${handle.workflowId} on task queue ${config.runsTaskQueue}`);
    if (detach) {
      console.log(howToFollow(handle.workflowId, name));
      return;
    }
    process.exitCode = await follow(handle, name);
  } finally {
    await client.connection.close();
  }
}

function printPlan(config: Config, name: string, ranges: Array<{ partition: number; first: string; last: string }>) {
  const offsets = ranges.reduce((sum, r) => sum + offsetsIn(r), 0);
  const runs = ranges.reduce((sum, r) => sum + Math.ceil(offsetsIn(r) / config.maxBatchSize), 0);
  console.log(`replay ${name} of ${config.topic} (group ${config.groupId}):`);
  for (const r of ranges) console.log(`  partition ${r.partition}: offsets ${r.first}–${r.last} (${offsetsIn(r)})`);
  console.log(
    `  ${offsets} offsets in about ${runs} runs of at most ${config.maxBatchSize} (MAX_BATCH_SIZE), ` +
      `at most ${config.maxInFlightRuns} unfinished at once (MAX_IN_FLIGHT_RUNS)`,
  );
  // The workers' setting decides, not this command's: say which one this is.
  console.log(
    `  rows already in the sink are overwritten only if the runs workers use SINK_WRITE_MODE=replace ` +
      `(this command's environment says ${config.sinkWriteMode})`,
  );
}

function howToFollow(workflowId: string, name: string): string {
  return (
    `watch it: npm run replay -- --watch ${name}   (or the Web UI, or ` +
    `npm run temporal -- workflow query --workflow-id '${workflowId}' --type status)\n` +
    `cancel it: npm run replay -- --cancel ${name}   (runs already started finish)`
  );
}

/** Prints progress every 2 s until the replay ends; its exit code (0: every run completed). */
async function follow(handle: WorkflowHandle<typeof Replay>, name: string): Promise<number> {
  onShutdownSignals(() => {
    console.log(`\nstopped watching; the replay goes on in Temporal.\n${howToFollow(handle.workflowId, name)}`);
    process.exit(130);
  });
  const ended = handle.result().then(
    (status) => ({ status, error: undefined }),
    (error: Error) => ({ status: undefined, error }),
  );
  let last = '';
  for (;;) {
    const outcome = await Promise.race([ended, new Promise<undefined>((r) => setTimeout(() => r(undefined), 2_000))]);
    if (outcome) {
      if (outcome.status) {
        console.log(summary(outcome.status));
        return outcome.status.runsFailed > 0 ? 1 : 0;
      }
      const status = await handle.query(replayStatusQuery).catch(() => undefined);
      if (status) console.log(summary(status));
      console.log(`replay ${name} ended: ${outcome.error!.message}`);
      return 1;
    }
    const status = await handle.query(replayStatusQuery).catch(() => undefined);
    const line = status ? progressLine(status) : '(status not available yet)';
    if (line !== last) console.log(`${new Date().toISOString().slice(11, 19)}  ${line}`);
    last = line;
  }
}

main().catch(exitOnError('replay'));
