// Moves a live pipeline's consumer group to new offsets (`npm run reset`), safely. With sensors
// running, each applies the reset itself (resetOffsetsSignal, see src/workflows/sensor.ts: it
// stops taking records, waits for its in-flight runs, drops pending commits, commits the targets
// of the partitions it holds and seeks there); this waits until every sensor has reported it in
// its `status` (lastReset). With no sensor running, the group has no member of ours and the offsets
// are set directly (the admin's setGroupOffsets, which Kafka allows only for an empty group).
//
// Neighbours: ./resolve.ts computes the targets; scripts/reset.ts prints the plan and the outcome.

import type { Client } from '@temporalio/client';
import type { KafkaAdmin } from '../kafka/port';
import { sensorWorkflowId, type PartitionOffset } from '../batch';
import type { Config } from '../config';
import { runningSensorIds } from '../workers/sensors';
import { resetOffsetsSignal, statusQuery, type SensorStatus } from '../workflows/sensor';
import type { ResetTarget } from './resolve';

export interface ResetReport {
  /** How the offsets were moved. */
  how: 'by the sensors' | 'directly (no sensor running)';
  /** Per sensor, the targets it applied (those of the partitions it held). */
  bySensor: Array<{ workflowId: string; applied: PartitionOffset[]; refused?: string }>;
  /** Targets no sensor applied (none held the partition at the time: a rebalance): run again. */
  notApplied: PartitionOffset[];
}

export interface ResetDeps {
  client: Client;
  admin: KafkaAdmin;
  config: Pick<Config, 'topic' | 'groupId' | 'sensorReplicas'>;
  /** Told what the sensors are doing while the reset waits for them. */
  progress?: (line: string) => void;
  /** How often the sensors are asked (ms). */
  pollMs?: number;
}

/** A reset's ID: lower-case letters and digits (it becomes part of run IDs: runWorkflowId). */
export function newResetId(nowMs: number): string {
  return nowMs.toString(36);
}

export async function resetGroup(deps: ResetDeps, targets: ResetTarget[], id: string): Promise<ResetReport> {
  const { client, admin, config } = deps;
  const offsets = targets.map((t) => ({ partition: t.partition, offset: t.target }));
  const sensors = await runningSensorsOf(client, config);
  if (sensors.length === 0) {
    await admin.setGroupOffsets(config.groupId, config.topic, offsets);
    return { how: 'directly (no sensor running)', bySensor: [], notApplied: [] };
  }
  for (const workflowId of sensors) {
    await client.workflow.getHandle(workflowId).signal(resetOffsetsSignal, { id, targets: offsets });
  }
  const bySensor: ResetReport['bySensor'] = [];
  const waiting = new Set(sensors);
  let last = '';
  while (waiting.size > 0) {
    const lines: string[] = [];
    for (const workflowId of [...waiting]) {
      const handle = client.workflow.getHandle(workflowId);
      const status: SensorStatus | undefined = await handle.query(statusQuery).catch(() => undefined);
      if (status?.lastReset?.id === id) {
        waiting.delete(workflowId);
        bySensor.push({ workflowId, applied: status.lastReset.applied, refused: status.lastReset.refused });
        continue;
      }
      const { status: run } = await handle.describe();
      if (run.name !== 'RUNNING') {
        waiting.delete(workflowId);
        bySensor.push({ workflowId, applied: [], refused: `the sensor ended (${run.name}) before applying it` });
        continue;
      }
      lines.push(
        `${workflowId}: ${status ? `${status.phase}, ${status.inFlightRuns} runs in flight` : 'not answering'}`,
      );
    }
    const line = lines.length > 0 ? `waiting for ${lines.join('; ')}` : '';
    if (line && line !== last) deps.progress?.(line);
    last = line;
    if (waiting.size > 0) await new Promise((r) => setTimeout(r, deps.pollMs ?? 1_000));
  }
  const done = new Set(bySensor.flatMap((s) => s.applied.map((a) => a.partition)));
  return { how: 'by the sensors', bySensor, notApplied: offsets.filter((o) => !done.has(o.partition)) };
}

/** The pipeline's running sensors: those visibility lists, and replicas 0..SENSOR_REPLICAS-1 (visibility lags). */
async function runningSensorsOf(client: Client, config: ResetDeps['config']): Promise<string[]> {
  const ids = new Set(await runningSensorIds(client, config));
  for (let replica = 0; replica < config.sensorReplicas; replica++) {
    ids.add(sensorWorkflowId(config.topic, config.groupId, replica));
  }
  const running: string[] = [];
  for (const workflowId of ids) {
    const description = await client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    if (description?.status.name === 'RUNNING') running.push(workflowId);
  }
  return running;
}
