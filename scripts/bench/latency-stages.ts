// Where a steady-state record's latency goes: each row's loaded_at - produced_at split into the
// stages between them, from timestamps the pipeline leaves anyway (this machine's one clock):
//
//   produced ─ taken ─ sensor task started ─ start command ─ run started ─ run task started ─
//   ( Kafka, buffer ) (  sensor task wait  ) ( sensor task ) ( child start ) ( run task wait )
//
//   ─ load scheduled ─ load begins ─ loaded
//   (    run task    ) ( load wait  ) ( read, transform, write )
//
// "taken" is when the consume-batch call that cut the row's batch completed; the sensor's workflow
// task that starts the run was then handed to a worker ("started") and completed with the start
// command (all in the sensor's history). "run started", its first workflow task's start and
// completion (when process-batch is scheduled) and process-batch's start come from the run's
// history, loaded_at and produced_at from the row. Each "wait" is Temporal handing a task to a
// worker (the server's matching, the worker's pollers); each "task" is the worker's own time for
// it (the SDK's core, the event loop, the workflow thread). Only each sensor's current run is
// read: rows of runs started before a sensor continued as new are left out (the summary's `rows`
// says how many were placed). The pure part (stagesOf, summarise) is unit-tested; fetchRunTimes
// reads the histories.

import type { Client } from '@temporalio/client';
import { eventTimeMs, historyEvents } from './history-events';
import { percentile } from './timeline';

export const STAGES = [
  'kafka and buffer',
  'sensor task wait',
  'sensor task',
  'child start',
  'run task wait',
  'run task',
  'load wait',
  'load',
] as const;
export type Stage = (typeof STAGES)[number];

/** Temporal's times for one run, ms since the epoch. */
export interface RunTimes {
  /** The consume-batch call that cut the batch completed. */
  takenAt: number;
  /** The sensor's workflow task that starts the run was handed to a worker. */
  sensorTaskStartedAt: number;
  /** The sensor's command to start the run (that workflow task completed). */
  startCommandAt: number;
  runStartedAt: number;
  /** The run's first workflow task was handed to a worker. */
  runTaskStartedAt: number;
  /** The run's first workflow task completed: process-batch is scheduled. */
  loadScheduledAt: number;
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
    'sensor task wait': run.sensorTaskStartedAt - run.takenAt,
    'sensor task': run.startCommandAt - run.sensorTaskStartedAt,
    'child start': run.runStartedAt - run.startCommandAt,
    'run task wait': run.runTaskStartedAt - run.runStartedAt,
    'run task': run.loadScheduledAt - run.runTaskStartedAt,
    'load wait': run.loadStartedAt - run.loadScheduledAt,
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
  type SensorSide = Pick<RunTimes, 'takenAt' | 'sensorTaskStartedAt' | 'startCommandAt'>;
  const started = new Map<string, SensorSide>();
  for (const workflowId of sensorWorkflowIds) {
    const activityNames = new Map<string, string>();
    let takenAt = NaN;
    let taskStartedAt = NaN;
    let taskCompletedAt = NaN;
    for await (const e of historyEvents(client, workflowId)) {
      if (e.activityTaskScheduledEventAttributes)
        activityNames.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '');
      else if (
        e.activityTaskCompletedEventAttributes &&
        activityNames.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId)) === 'consumeBatch'
      )
        takenAt = eventTimeMs(e);
      else if (e.workflowTaskStartedEventAttributes) taskStartedAt = eventTimeMs(e);
      // A task's commands follow its completion in the history: that completion is their time.
      else if (e.workflowTaskCompletedEventAttributes) taskCompletedAt = eventTimeMs(e);
      else if (e.startChildWorkflowExecutionInitiatedEventAttributes)
        started.set(e.startChildWorkflowExecutionInitiatedEventAttributes.workflowId ?? '', {
          takenAt,
          sensorTaskStartedAt: taskStartedAt,
          startCommandAt: taskCompletedAt,
        });
    }
  }
  const runs = new Map<string, RunTimes>();
  for (const [workflowId, sensorSide] of started) {
    const times: RunTimes = {
      ...sensorSide,
      runStartedAt: NaN,
      runTaskStartedAt: NaN,
      loadScheduledAt: NaN,
      loadStartedAt: NaN,
    };
    for await (const e of historyEvents(client, workflowId)) {
      if (e.workflowExecutionStartedEventAttributes) times.runStartedAt = eventTimeMs(e);
      else if (e.workflowTaskStartedEventAttributes && Number.isNaN(times.runTaskStartedAt))
        times.runTaskStartedAt = eventTimeMs(e);
      else if (e.activityTaskScheduledEventAttributes) times.loadScheduledAt = eventTimeMs(e);
      else if (e.activityTaskStartedEventAttributes) {
        times.loadStartedAt = eventTimeMs(e);
        break;
      }
    }
    if (Object.values(times).every(Number.isFinite)) runs.set(workflowId, times);
  }
  return runs;
}
