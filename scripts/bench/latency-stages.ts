// Where a steady-state record's latency goes: each row's loaded_at - produced_at split into the
// stages between them, from timestamps the pipeline leaves anyway (this machine's one clock):
//
//   produced ─ taken ─ start command ─ run started ─ load begins ─ loaded
//   ( Kafka, buffer ) ( sensor turn ) ( child start ) ( run's task ) ( read, transform, write )
//
// "taken" is when the consume-batch call that cut the row's batch completed, "start command" when
// the sensor's workflow task that starts the run completed (both in the sensor's history), "run
// started" and "load begins" come from the run's history (its start; its process-batch activity
// started), loaded_at and produced_at from the row. Only each sensor's current run is read: rows of runs started before a sensor continued
// as new are left out (the summary's `rows` says how many were placed). The pure part (stagesOf,
// summarise) is unit-tested; fetchRunTimes reads the histories.

import type { Client } from '@temporalio/client';
import { eventTimeMs, historyEvents } from './history-events';
import { percentile } from './timeline';

export const STAGES = ['kafka and buffer', 'sensor turn', 'child start', "run's task", 'load'] as const;
export type Stage = (typeof STAGES)[number];

/** Temporal's times for one run, ms since the epoch. */
export interface RunTimes {
  /** The consume-batch call that cut the batch completed. */
  takenAt: number;
  /** The sensor's command to start the run (its workflow task completed). */
  startCommandAt: number;
  runStartedAt: number;
  /** The run's process-batch activity started (its first attempt). */
  loadStartedAt: number;
}

export interface RowTimes {
  runId: string;
  producedAt: number;
  loadedAt: number;
}

/** Per stage, p50 and p99 over rows (ms); `tail` is each stage's mean over the slowest 1% of rows. */
export interface StageSummary {
  rows: number;
  p50: Record<Stage, number>;
  p99: Record<Stage, number>;
  tail: Record<Stage, number>;
}

/** The stages of one row, or undefined when its run's times are not known. */
export function stagesOf(row: RowTimes, run: RunTimes | undefined): Record<Stage, number> | undefined {
  if (!run) return undefined;
  return {
    'kafka and buffer': run.takenAt - row.producedAt,
    'sensor turn': run.startCommandAt - run.takenAt,
    'child start': run.runStartedAt - run.startCommandAt,
    "run's task": run.loadStartedAt - run.runStartedAt,
    load: row.loadedAt - run.loadStartedAt,
  };
}

export function summarise(rows: RowTimes[], runs: Map<string, RunTimes>): StageSummary {
  const staged = rows
    .map((row) => ({ total: row.loadedAt - row.producedAt, stages: stagesOf(row, runs.get(row.runId)) }))
    .filter((r): r is { total: number; stages: Record<Stage, number> } => r.stages !== undefined);
  const byStage = (f: (values: number[]) => number) =>
    Object.fromEntries(STAGES.map((s) => [s, f(staged.map((r) => r.stages[s]).sort((a, b) => a - b))])) as Record<
      Stage,
      number
    >;
  const slowest = [...staged].sort((a, b) => b.total - a.total).slice(0, Math.max(1, Math.ceil(staged.length / 100)));
  const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
  return {
    rows: staged.length,
    p50: byStage((v) => percentile(v, 50)),
    p99: byStage((v) => percentile(v, 99)),
    tail: Object.fromEntries(STAGES.map((s) => [s, mean(slowest.map((r) => r.stages[s]))])) as Record<Stage, number>,
  };
}

/** Reads the histories of the sensors and of their runs; runs whose times are incomplete are left out. */
export async function fetchRunTimes(client: Client, sensorWorkflowIds: string[]): Promise<Map<string, RunTimes>> {
  const started = new Map<string, Omit<RunTimes, 'runStartedAt' | 'loadStartedAt'>>();
  for (const workflowId of sensorWorkflowIds) {
    const activityNames = new Map<string, string>();
    let takenAt = NaN;
    let taskCompletedAt = NaN;
    for await (const e of historyEvents(client, workflowId)) {
      if (e.activityTaskScheduledEventAttributes)
        activityNames.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '');
      else if (
        e.activityTaskCompletedEventAttributes &&
        activityNames.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId)) === 'consumeBatch'
      )
        takenAt = eventTimeMs(e);
      // A task's commands follow its completion in the history: that completion is their time.
      else if (e.workflowTaskCompletedEventAttributes) taskCompletedAt = eventTimeMs(e);
      else if (e.startChildWorkflowExecutionInitiatedEventAttributes)
        started.set(e.startChildWorkflowExecutionInitiatedEventAttributes.workflowId ?? '', {
          takenAt,
          startCommandAt: taskCompletedAt,
        });
    }
  }
  const runs = new Map<string, RunTimes>();
  for (const [workflowId, sensorSide] of started) {
    let runStartedAt = NaN;
    let loadStartedAt = NaN;
    for await (const e of historyEvents(client, workflowId)) {
      if (e.workflowExecutionStartedEventAttributes) runStartedAt = eventTimeMs(e);
      else if (e.activityTaskStartedEventAttributes) {
        loadStartedAt = eventTimeMs(e);
        break;
      }
    }
    const times = { ...sensorSide, runStartedAt, loadStartedAt };
    if (Object.values(times).every(Number.isFinite)) runs.set(workflowId, times);
  }
  return runs;
}
