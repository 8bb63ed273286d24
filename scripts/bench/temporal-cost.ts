// What a scenario cost Temporal: workflows, history events and history bytes per 1,000 messages,
// and the round trips behind one batch, counted from histories: workflow tasks (each one a poll
// and a completion between worker and server), activity tasks, and child-workflow starts.

import type { Client } from '@temporalio/client';
import { pipelineFilter, runsQuery, type PipelineId } from '../../src/runs';
import { historyEvents } from './history-events';

export interface TemporalCost {
  runs: number;
  sensorRuns: number;
  workflowsPer1k: number;
  historyEventsPer1k: number;
  historyBytesPer1k: number;
  /** Mean history bytes of one MicroBatchRun (its input batch dominates). */
  runHistoryBytes: number;
  perBatch: {
    sensorWorkflowTasks: number;
    sensorActivityTasks: number;
    runWorkflowTasks: number;
    runActivityTasks: number;
    /** Worker↔server task round trips behind one batch: the four above summed. */
    roundTrips: number;
    sensorHistoryBytes: number;
  };
}

interface EventCounts {
  workflowTasks: number;
  activityTasks: number;
  childStarts: number;
}

const RUN_SAMPLE = 10;

export async function temporalCost(client: Client, pipeline: PipelineId, messages: number): Promise<TemporalCost> {
  await waitUntilNoneRunning(client, runsQuery(pipeline));
  const all: Array<{ workflowId: string; runId: string; type: string; events: number; bytes: number }> = [];
  for await (const wf of client.workflow.list({ query: pipelineFilter(pipeline) })) {
    all.push({
      workflowId: wf.workflowId,
      runId: wf.runId,
      type: wf.type,
      events: wf.historyLength,
      bytes: wf.historySize ?? 0,
    });
  }
  const runs = all.filter((w) => w.type === 'MicroBatchRun');
  const sensors = all.filter((w) => w.type === 'KafkaSensor');
  const per1k = (n: number) => (n / messages) * 1000;
  const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((s, x) => s + f(x), 0);

  const sensorCounts = await Promise.all(sensors.map((w) => countEvents(client, w.workflowId, w.runId)));
  const sample = runs
    .filter((_, i) => i % Math.max(1, Math.floor(runs.length / RUN_SAMPLE)) === 0)
    .slice(0, RUN_SAMPLE);
  const runCounts = await Promise.all(sample.map((w) => countEvents(client, w.workflowId, w.runId)));
  const batches = Math.max(1, runs.length);
  const mean = (xs: EventCounts[], f: (c: EventCounts) => number) => (xs.length === 0 ? 0 : sum(xs, f) / xs.length);
  const perBatch = {
    sensorWorkflowTasks: sum(sensorCounts, (c) => c.workflowTasks) / batches,
    sensorActivityTasks: sum(sensorCounts, (c) => c.activityTasks) / batches,
    runWorkflowTasks: mean(runCounts, (c) => c.workflowTasks),
    runActivityTasks: mean(runCounts, (c) => c.activityTasks),
    roundTrips: 0,
    sensorHistoryBytes: sum(sensors, (w) => w.bytes) / batches,
  };
  perBatch.roundTrips =
    perBatch.sensorWorkflowTasks + perBatch.sensorActivityTasks + perBatch.runWorkflowTasks + perBatch.runActivityTasks;
  return {
    runs: runs.length,
    sensorRuns: sensors.length,
    workflowsPer1k: per1k(all.length),
    historyEventsPer1k: per1k(sum(all, (w) => w.events)),
    historyBytesPer1k: per1k(sum(all, (w) => w.bytes)),
    runHistoryBytes: runs.length === 0 ? 0 : sum(runs, (w) => w.bytes) / runs.length,
    perBatch,
  };
}

async function countEvents(client: Client, workflowId: string, runId: string): Promise<EventCounts> {
  const counts: EventCounts = { workflowTasks: 0, activityTasks: 0, childStarts: 0 };
  for await (const e of historyEvents(client, workflowId, runId)) {
    if (e.workflowTaskCompletedEventAttributes) counts.workflowTasks++;
    else if (e.activityTaskScheduledEventAttributes) counts.activityTasks++;
    else if (e.startChildWorkflowExecutionInitiatedEventAttributes) counts.childStarts++;
  }
  return counts;
}

/** Visibility is eventually consistent: wait (up to a minute) until it shows no running run. */
async function waitUntilNoneRunning(client: Client, query: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await client.workflow.count(`${query} AND ExecutionStatus = 'Running'`)).count === 0) return;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
