// `npm run reset -- --to-offset N | --to-time T | --to-earliest | --to-latest [--partition N]
// [--dry-run]`: moves the live pipeline's consumer group (KAFKA_GROUP_ID on KAFKA_TOPIC), as
// `kafka-consumer-groups --reset-offsets --execute` would, but safely while its sensors run: each
// sensor applies it itself after its in-flight runs finished (src/replay/reset.ts). Prints the plan
// (per partition: committed offset now → new), then what changed. `--dry-run` prints the plan only.
//
// Neighbours: src/replay/ (flags, offsets); README "Moving the live pipeline".

import { loadConfigOrExit } from '../src/config';
import { createKafkaClient } from '../src/kafka/client';
import { createLogger } from '../src/logger';
import { parseResetFlags } from '../src/replay/flags';
import { newResetId, resetGroup, type ResetReport } from '../src/replay/reset';
import { resolveResetTargets, type ResetTarget } from '../src/replay/resolve';
import { connectAdmin, connectClient } from '../src/workers/connect';
import { exitOnError } from '../src/workers/exit';
import { onShutdownSignals } from '../src/workers/shutdown-signals';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const flags = parseResetFlags(process.argv.slice(2));
  const logger = createLogger(config.logLevel, 'reset');
  const admin = await connectAdmin(await createKafkaClient(config, logger), config, logger);
  const client = await connectClient(config, logger);
  try {
    if (!(await admin.listTopics()).includes(config.topic)) {
      throw new Error(`Kafka topic "${config.topic}" does not exist (KAFKA_TOPIC)`);
    }
    const targets = await resolveResetTargets(admin, config.topic, config.groupId, flags.request, flags.partition);
    console.log(`${flags.dryRun ? 'dry run: ' : ''}reset group ${config.groupId} on ${config.topic}:`);
    for (const t of targets) console.log(`  partition ${t.partition}: ${t.current ?? '(none)'} → ${t.target}`);
    if (flags.dryRun) {
      console.log('dry run: nothing changed.');
      return;
    }
    const id = newResetId(Date.now());
    onShutdownSignals(() => {
      console.log(
        `\nstopped waiting; the sensors apply reset ${id} anyway. Check each sensor's lastReset with ` +
          `npm run temporal -- workflow query --workflow-id <sensor ID> --type status`,
      );
      process.exit(130);
    });
    const report = await resetGroup({ client, admin, config, progress: (line) => console.log(line) }, targets, id);
    for (const s of report.bySensor) {
      const applied = s.applied.map((a) => `p${a.partition}→${a.offset}`).join(' ') || 'no partition held';
      console.log(`  ${s.workflowId}: ${s.refused ? `refused: ${s.refused}` : applied}`);
    }
    process.exitCode = printOutcome(targets, await admin.committedOffsets(config.groupId, config.topic), report);
    if (report.notApplied.length > 0) {
      console.log(
        `no sensor held partition(s) ${report.notApplied.map((o) => o.partition).join(', ')} at the time ` +
          '(a rebalance): run the command again',
      );
    }
  } finally {
    await admin.close();
    await client.connection.close();
  }
}

/**
 * Prints, per partition, the committed offset before → the target, and where the group is now (a
 * sensor resumes at once and may have committed past the target already). 0 when every target
 * was applied.
 */
function printOutcome(targets: ResetTarget[], now: Map<number, string>, report: ResetReport): number {
  console.log(`offsets moved ${report.how}:`);
  const missed = new Set(report.notApplied.map((o) => o.partition));
  for (const t of targets) {
    const outcome = missed.has(t.partition) ? 'NOT APPLIED' : `committed now ${now.get(t.partition) ?? '(none)'}`;
    console.log(`  partition ${t.partition}: ${t.current ?? '(none)'} → ${t.target}  (${outcome})`);
  }
  return missed.size === 0 ? 0 : 1;
}

main().catch(exitOnError('reset'));
