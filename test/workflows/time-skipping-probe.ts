// Test-only workflows for test/integration/time-skipping.test.ts: the Temporal features the sensor
// and run workflows rely on, in a loop that runs for days of workflow time on the time-skipping
// test server. TimeSkippingProbe is a sensor in miniature: it waits between ticks on a timer a
// signal can cut short (condition with a timeout), calls an activity, starts children the way the
// sensor starts runs (ABANDON, REJECT_DUPLICATE, typed search attributes, a static summary), can
// be paused, answers a status query and continues as new when its history grows long.
import {
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import {
  WorkflowExecutionAlreadyStartedError,
  defineSearchAttributeKey,
  SearchAttributeType,
} from '@temporalio/common';
import { FirstOffset, KafkaPartition, KafkaTopic, LastOffset, MessageCount } from '../../src/search-attributes';

/** Registered by test/time-skipping.ts; the app gains it in another change. */
export const KafkaGroup = defineSearchAttributeKey('KafkaGroup', SearchAttributeType.KEYWORD);

export interface ProbeActivities {
  /** Stands in for consume-batch: returns how many records it "read". */
  probeActivity(tick: number): Promise<number>;
}

export interface ProbeInput {
  topic: string;
  group: string;
  /** The wait between ticks, ms of workflow time (a durable timer). */
  tickMs: number;
  /** The probe completes once this much workflow time has passed since its first start. */
  runForMs: number;
  /** Call the activity on every n-th tick (0: never). */
  activityEveryTicks: number;
  /**
   * Start a child run on every n-th tick (0: never). Each time, the new child's ID is started a
   * second time (still running) and the previous child's ID once more (finished by then if
   * childSleepMs < childEveryTicks * tickMs): both must be refused, as the sensor's re-reads are.
   */
  childEveryTicks: number;
  /** How long each child sleeps, ms of workflow time. */
  childSleepMs: number;
  /** Continue as new once workflowInfo().historyLength reaches this (the test server never suggests it). */
  continueAsNewAtHistoryLength: number;
  /**
   * Before continuing as new or completing, wait until every child this run started has finished.
   * Needed on the Java test server: a child that finishes after its parent's run closed leaks a
   * time-skipping lock there, and time stops skipping for good (sdk-java#1540). The sensor does not
   * wait (its runs outlive its continue-as-new, ABANDON); false shows the bug.
   */
  waitForChildren: boolean;
  /** Carried across continue-as-new; absent on a first start. */
  state?: ProbeState;
}

export interface ProbeState {
  /** Workflow time of the first start and of the end (Date.now() in a workflow is its task's time). */
  startedAtMs: number;
  endedAtMs?: number;
  paused: boolean;
  ticks: number;
  activityCalls: number;
  records: number;
  childrenStarted: number;
  /** Second starts of a running child's ID that were refused. */
  rejectedWhileRunning: number;
  /** Starts of a finished child's ID refused by REJECT_DUPLICATE. */
  rejectedAfterFinish: number;
  continuedAsNew: number;
  /** Longest history a run of this probe reached before it continued as new. */
  maxHistoryLength: number;
  lastChildId?: string;
}

export interface ProbeStatus extends ProbeState {
  workflowId: string;
  runId: string;
  historyLength: number;
  historySize: number;
  continueAsNewSuggested: boolean;
  workflowTimeMs: number;
}

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const stopSignal = defineSignal('stop');
export const statusQuery = defineQuery<ProbeStatus>('status');

const { probeActivity } = proxyActivities<ProbeActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 1 },
});

export async function TimeSkippingProbe(input: ProbeInput): Promise<ProbeState> {
  const state: ProbeState = input.state ?? {
    startedAtMs: Date.now(),
    paused: false,
    ticks: 0,
    activityCalls: 0,
    records: 0,
    childrenStarted: 0,
    rejectedWhileRunning: 0,
    rejectedAfterFinish: 0,
    continuedAsNew: 0,
    maxHistoryLength: 0,
  };
  let stopping = false;
  /** Children this run started that have not finished. */
  const running = new Set<string>();
  const childrenFinished = () => condition(() => running.size === 0);
  setHandler(pauseSignal, () => void (state.paused = true));
  setHandler(resumeSignal, () => void (state.paused = false));
  setHandler(stopSignal, () => void (stopping = true));
  setHandler(statusQuery, () => ({
    ...state,
    workflowId: workflowInfo().workflowId,
    runId: workflowInfo().runId,
    historyLength: workflowInfo().historyLength,
    historySize: workflowInfo().historySize,
    continueAsNewSuggested: workflowInfo().continueAsNewSuggested,
    workflowTimeMs: Date.now(),
  }));

  while (!stopping && Date.now() - state.startedAtMs < input.runForMs) {
    if (state.paused) {
      await condition(() => !state.paused || stopping);
      continue;
    }
    // The sensor's wait between ticks: true when a signal cut it short.
    if (await condition(() => stopping || state.paused, input.tickMs)) continue;
    state.ticks++;
    if (input.activityEveryTicks > 0 && state.ticks % input.activityEveryTicks === 0) {
      state.records += await probeActivity(state.ticks);
      state.activityCalls++;
    }
    if (input.childEveryTicks > 0 && state.ticks % input.childEveryTicks === 0) {
      const workflowId = `${workflowInfo().workflowId}-run-${state.ticks}`;
      if (await startRun(input, workflowId, state.ticks, running)) state.childrenStarted++;
      // Re-read batches: the same IDs again must not start a second run.
      if (!(await startRun(input, workflowId, state.ticks, running))) state.rejectedWhileRunning++;
      if (state.lastChildId && !(await startRun(input, state.lastChildId, state.ticks, running))) {
        state.rejectedAfterFinish++;
      }
      state.lastChildId = workflowId;
    }
    const historyLength = workflowInfo().historyLength;
    if (historyLength >= input.continueAsNewAtHistoryLength) {
      state.maxHistoryLength = Math.max(state.maxHistoryLength, historyLength);
      state.continuedAsNew++;
      if (input.waitForChildren) await childrenFinished();
      await continueAsNew<typeof TimeSkippingProbe>({ ...input, state });
    }
  }
  if (input.waitForChildren) await childrenFinished();
  state.maxHistoryLength = Math.max(state.maxHistoryLength, workflowInfo().historyLength);
  state.endedAtMs = Date.now();
  return state;
}

/** Starts a child as the sensor starts a run and tracks it in `running`; false if its ID was already used. */
async function startRun(input: ProbeInput, workflowId: string, tick: number, running: Set<string>): Promise<boolean> {
  try {
    const handle = await startChild(TimeSkippingProbeChild, {
      workflowId,
      args: [{ sleepMs: input.childSleepMs }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: KafkaTopic, value: input.topic },
        { key: KafkaGroup, value: input.group },
        { key: KafkaPartition, value: 0 },
        { key: FirstOffset, value: tick * 100 },
        { key: LastOffset, value: tick * 100 + 99 },
        { key: MessageCount, value: 100 },
      ],
      staticSummary: `${input.topic} partition 0, offsets ${tick * 100}–${tick * 100 + 99} (100 messages)`,
    });
    running.add(workflowId);
    const finished = () => void running.delete(workflowId);
    handle.result().then(finished, finished);
    return true;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw err;
  }
}

/** Stands in for MicroBatchRun: sleeps (a durable timer), then reports its own ID. */
export async function TimeSkippingProbeChild(input: { sleepMs: number }): Promise<string> {
  await sleep(input.sleepMs);
  return workflowInfo().workflowId;
}
