// The KafkaSensor's durable state: everything here survives the end of a tick and continue-as-new
// (it travels in SensorInput.state). The decisions over it are the other files of this folder
// (./index.ts lists them); the workflow (../sensor.ts) wires them to activities, children, signals
// and timers. Nothing in this folder reaches Temporal, Kafka or Node (lint enforces it), so all of it
// is unit-tested without servers (test/unit/sensor-core/).

import type { PartitionOffset } from '../../batch';

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
