// The KafkaSensor's input and state. SensorState is durable: it survives the end of a tick and
// continue-as-new (it travels in SensorInput.state). Sensor adds what one run of the workflow knows
// only until it continues as new, and is what every decision in this folder takes and returns
// (./index.ts lists them); the workflow (../sensor.ts) wires them to activities, children, signals
// and timers. Nothing in this folder reaches Temporal, Kafka or Node (lint enforces it), so all of it
// is unit-tested without servers (test/unit/sensor-core/).

import type { PartitionOffset } from '../../batch';
import type { RunSettings } from '../micro-batch-run';
import { inFlightFrom, type InFlightRuns } from './in-flight';

export interface SensorSettings {
  maxBatchSize: number;
  maxBatchBytes: number;
  /** Record bytes one consume-batch result carries (MAX_CONSUME_RESULT_BYTES). */
  maxResultBytes: number;
  maxBatchWaitMs: number;
  maxTickRuntimeMs: number;
  timeBetweenTicksMs: number;
  /** Longest wait between retries of calls that keep failing (SENSOR_RETRY_MAX_BACKOFF). */
  retryMaxBackoffMs: number;
  maxInFlightRuns: number;
  runsTaskQueue: string;
  run: RunSettings;
}

export interface SensorInput {
  topic: string;
  /** The consumer group: with the topic, what makes this pipeline distinct from others on the topic. */
  groupId: string;
  replica: number;
  settings: SensorSettings;
  /** Set by continue-as-new; absent on a first start. */
  state?: SensorState;
}

export interface LastBatch {
  workflowId: string;
  partition: number;
  firstOffset: string;
  lastOffset: string;
  messages: number;
}

/** Why a sensor stopped taking records until someone looks (see README, "A recreated topic"). */
export interface Halt {
  reason: string;
  at: string;
}

export interface SensorState {
  paused: boolean;
  ticks: number;
  /** Waits between ticks cut short because records arrived (src/sensor-wake.ts). */
  wakes: number;
  batches: number;
  messages: number;
  /** Batches whose run was running or had completed already: a re-read after a rebalance or a restart. */
  batchesAlreadyStarted: number;
  continuedAsNew: number;
  /** Unfinished runs started by earlier runs of this sensor (before continue-as-new). */
  carriedRuns: string[];
  /** Per partition, the highest offset already in a started run; re-read records below are dropped. */
  skipThrough: Record<string, string>;
  /**
   * Per partition, the next offset to commit once the consumer group accepts it. Kept while the
   * replica does not hold the partition: the consumer commits only partitions it holds, and never
   * behind the group's offset.
   */
  pendingCommit: Record<string, string>;
  /**
   * Per partition, the offset to read again from: the first record of a batch whose run could not
   * be started. Kept until a consume-batch call has applied it, however many ticks or
   * continue-as-news that takes; until then nothing past it is committed.
   */
  rewind: Record<string, string>;
  /**
   * Per partition, the highest offset the group is known to have committed. Kafka never moves it
   * back by itself: a partition whose log now ends below it, or whose group offset vanished, belongs
   * to a topic that was deleted and created again (see SensorConsumer.findResetPartitions).
   */
  committed: Record<string, string>;
  /** Set when the sensor stopped taking records and needs a person; `resume` clears it. */
  halted?: Halt;
  lastBatch?: LastBatch;
  /**
   * The last failure, when it happened, and when the sensor worked again after it (absent while
   * it still fails): an old error stays visible without looking current. `run` names the run it
   * came from, when a run said it holds its records (runHeldSignal); it recovers when that run ends.
   */
  lastError?: { message: string; at: string; recoveredAt?: string; run?: string };
  assignment: number[];
  consumerTaskQueue?: string;
  /** A reset of the group's offsets (`npm run reset`) this sensor has still to apply. */
  resetRequest?: OffsetReset;
  /** The last reset this sensor dealt with, and what it did: `npm run reset` waits for it. */
  lastReset?: ResetOutcome;
  /**
   * Per partition, the last reset that moved its offsets: part of the IDs of the runs started
   * since (see runWorkflowId), so records read again after it are run again.
   */
  resetOf?: Record<string, string>;
}

/** Sent by `npm run reset` to every sensor of the pipeline (resetOffsetsSignal). */
export interface OffsetReset {
  /** Lower-case letters and digits; goes into run IDs. */
  id: string;
  /** The new committed offset (the next to read) of each partition to move. */
  targets: PartitionOffset[];
}

export interface ResetOutcome {
  id: string;
  /** Of the targets, those this sensor held and so committed and sought to. */
  applied: PartitionOffset[];
  /** Why it applied none, when it could not (halted, replaced by a newer reset). */
  refused?: string;
  at: string;
}

export function initialSensorState(): SensorState {
  return {
    paused: false,
    ticks: 0,
    wakes: 0,
    batches: 0,
    messages: 0,
    batchesAlreadyStarted: 0,
    continuedAsNew: 0,
    carriedRuns: [],
    skipThrough: {},
    pendingCommit: {},
    rewind: {},
    committed: {},
    assignment: [],
  };
}

/** What the sensor is doing, as `status` shows it. */
export type Phase =
  | 'starting'
  | 'consuming'
  | 'waiting between ticks'
  | 'at in-flight limit'
  | 'paused'
  | 'halted'
  | 'claiming consumer'
  | 'stopping'
  | 'restarting'
  | 'resetting';

/**
 * The sensor as one run of the workflow holds it: its identity, its settings, the durable state,
 * and what lasts only until continue-as-new (the runs it started, whether it is stopping, its
 * failures in a row, the state of its consumer and of its wake signal).
 */
export interface Sensor {
  readonly topic: string;
  readonly groupId: string;
  readonly replica: number;
  /** Replaced by applySettingsSignal; applies from the next call on. */
  settings: SensorSettings;
  state: SensorState;
  runs: InFlightRuns;
  phase: Phase;
  stopping: boolean;
  /** Settings arrived after a stop: the replica is wanted again, so restart once stopped. */
  restartRequested: boolean;
  failuresInARow: number;
  /** Whether the next consume-batch call checks the topic was not recreated (see SensorState.committed). */
  checkTopic: boolean;
  /** The consumer's worker said it released the consumer: its calls end cancelled, not failed. */
  released: boolean;
  /** consume-batch calls made by this run; with the run ID, names each call (see ./wake.ts). */
  calls: number;
  /** Token of the latest consume-batch call; only its wake signal counts. */
  wakeToken?: string;
  /** Records arrived after the latest call found nothing. */
  recordsWaiting: boolean;
}

/** The sensor at the start of a run: a first start, or a continue-as-new carrying its state. */
export function startSensor(input: SensorInput): Sensor {
  const state = input.state ?? initialSensorState();
  return {
    topic: input.topic,
    groupId: input.groupId,
    replica: input.replica,
    settings: input.settings,
    state,
    runs: inFlightFrom(state.carriedRuns),
    phase: 'starting',
    stopping: false,
    restartRequested: false,
    failuresInARow: 0,
    checkTopic: true,
    released: false,
    calls: 0,
    recordsWaiting: false,
  };
}

/** The sensor with its durable state changed by `change` (one of the state decisions). */
export function withState(sensor: Sensor, change: (state: SensorState) => SensorState): Sensor {
  return { ...sensor, state: change(sensor.state) };
}

export function inPhase(sensor: Sensor, phase: Phase): Sensor {
  return { ...sensor, phase };
}
