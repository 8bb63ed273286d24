// Idle cost: what a pipeline on a topic that receives nothing costs Temporal. The sensors start on
// an empty topic and settle into waiting between ticks; then, over a window, the benchmark counts
// the events their histories gained (every run of each sensor: continue-as-new may fall inside the
// window), and among them activities, workflow tasks, timers and wake signals. Reported per sensor
// per hour, the figures a user multiplies by replicas and pipelines.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { sensorWorkflowId } from '../../src/batch';
import type { Logger } from '../../src/logger';
import { RECORDS_WAITING_SIGNAL } from '../../src/sensor-wake';
import { statusQuery } from '../../src/workflows/sensor';
import type { Scenario } from './scenario';
import { startSession } from './pipeline-session';
import { eventTimeMs, historyEvents } from './history-events';

export interface IdleCounts {
  events: number;
  activities: number;
  workflowTasks: number;
  timers: number;
  wakes: number;
}

export interface IdleResult {
  windowSeconds: number;
  sensors: number;
  /** Per sensor per hour of idle topic. */
  perSensorHour: IdleCounts;
}

const HOUR_MS = 3_600_000;

export async function runIdle(
  s: Scenario,
  logger: Logger,
  o: { seconds: number; logFile: string },
): Promise<IdleResult> {
  const session = await startSession(s, logger, o);
  const { client } = session;
  const ids = Array.from({ length: s.config.sensorReplicas }, (_, r) =>
    sensorWorkflowId(s.config.topic, s.config.groupId, r),
  );
  try {
    await session.startSensors();
    // Settled: every sensor has found the topic empty at least once and waits between ticks.
    const deadline = Date.now() + 120_000;
    for (const id of ids) {
      const handle = client.workflow.getHandle(id);
      while ((await handle.query(statusQuery).catch(() => undefined))?.phase !== 'waiting between ticks') {
        if (Date.now() > deadline) throw new Error(`idle: sensor ${id} never settled into waiting between ticks`);
        await sleep(250);
      }
    }
    const from = Date.now();
    await sleep(o.seconds * 1000);
    const to = Date.now();
    const total: IdleCounts = { events: 0, activities: 0, workflowTasks: 0, timers: 0, wakes: 0 };
    for (const id of ids) {
      const counts = await countEventsBetween(client, id, from, to);
      for (const k of Object.keys(total) as Array<keyof IdleCounts>) total[k] += counts[k];
    }
    const scale = HOUR_MS / (to - from) / ids.length;
    const perSensorHour = Object.fromEntries(
      Object.entries(total).map(([k, v]) => [k, v * scale]),
    ) as unknown as IdleCounts;
    return { windowSeconds: (to - from) / 1000, sensors: ids.length, perSensorHour };
  } finally {
    await session.stop();
  }
}

/** Events of every run of `workflowId` whose time falls in [from, to). */
async function countEventsBetween(client: Client, workflowId: string, from: number, to: number): Promise<IdleCounts> {
  const counts: IdleCounts = { events: 0, activities: 0, workflowTasks: 0, timers: 0, wakes: 0 };
  for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    for await (const e of historyEvents(client, workflowId, run.runId)) {
      const at = eventTimeMs(e);
      if (at < from || at >= to) continue;
      counts.events++;
      if (e.activityTaskScheduledEventAttributes) counts.activities++;
      else if (e.workflowTaskCompletedEventAttributes) counts.workflowTasks++;
      else if (e.timerStartedEventAttributes) counts.timers++;
      else if (e.workflowExecutionSignaledEventAttributes?.signalName === RECORDS_WAITING_SIGNAL) counts.wakes++;
    }
  }
  return counts;
}
