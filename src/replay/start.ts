// Starts and follows Replay workflows (src/workflows/replay.ts) for `npm run replay` and the tests:
// its settings from the config (the live pipeline's batch size, in-flight limit, runs task queue
// and run settings), its ID, and a readable progress line.

import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { replayWorkflowId } from '../batch';
import type { Config } from '../config';
import { ConfigError } from '../config-error';
import { KafkaGroup, KafkaTopic } from '../search-attributes';
import { sensorSettingsFrom } from '../workers/sensors';
import { Replay } from '../workflows';
import type { ReplaySettings, ReplayStatus } from '../workflows/replay';
import type { PartitionRange } from './plan';

export function replaySettingsFrom(config: Config): ReplaySettings {
  const live = sensorSettingsFrom(config);
  return {
    maxBatchSize: config.maxBatchSize,
    maxInFlightRuns: config.maxInFlightRuns,
    runsTaskQueue: config.runsTaskQueue,
    run: live.run,
  };
}

/**
 * Starts a replay of `ranges` under `name`. A name used before by a replay of this pipeline is
 * refused (its runs' IDs are taken: a second replay under it would start nothing).
 */
export async function startReplay(
  client: Client,
  config: Config,
  name: string,
  ranges: PartitionRange[],
): Promise<WorkflowHandle<typeof Replay>> {
  const workflowId = replayWorkflowId(name, config.topic, config.groupId);
  try {
    return await client.workflow.start(Replay, {
      workflowId,
      // Its workflow tasks run where the runs run; it takes no activity slot of its own.
      taskQueue: config.runsTaskQueue,
      args: [{ name, topic: config.topic, groupId: config.groupId, ranges, settings: replaySettingsFrom(config) }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: KafkaTopic, value: config.topic },
        { key: KafkaGroup, value: config.groupId },
      ],
      staticSummary: `replay ${name} of ${config.topic} (group ${config.groupId}): ${ranges
        .map((r) => `p${r.partition} ${r.first}–${r.last}`)
        .join(', ')}`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new ConfigError(
        '--name',
        name,
        `a name no earlier replay of ${config.topic} (group ${config.groupId}) used`,
      );
    }
    throw err;
  }
}

/** One line of progress: runs, offsets started, what the finished runs did. */
export function progressLine(s: ReplayStatus): string {
  const finished = s.runsCompleted + s.runsFailed;
  const held = s.held ? `  HELD: ${s.held.run}: ${s.held.cause}` : '';
  return (
    `${s.phase}: offsets in started runs ${s.offsetsStarted}/${s.offsets}, runs finished ${finished}` +
    ` (${s.runsFailed} failed), in flight ${s.inFlightRuns}; records ${s.messages}: ${s.loaded} loaded new,` +
    ` ${s.alreadyLoaded} already in the sink, ${s.deadLettered} dead-lettered${held}`
  );
}

/** The final summary of a replay. */
export function summary(s: ReplayStatus): string {
  const lines = [
    `replay ${s.name} ${s.phase}: ${s.runsStarted} runs (${s.runsCompleted} completed, ${s.runsFailed} failed` +
      `${s.runsAlreadyStarted > 0 ? `, ${s.runsAlreadyStarted} had run under this name already` : ''}), ` +
      `${s.messages} records: ${s.loaded} loaded new, ${s.alreadyLoaded} already in the sink ` +
      `(overwritten when the workers run with SINK_WRITE_MODE=replace, kept with insert), ${s.deadLettered} dead-lettered`,
  ];
  for (const f of s.failures) lines.push(`  failed: ${f.run}: ${f.message}`);
  return lines.join('\n');
}
