// A reset of the group's offsets (`npm run reset`, resetOffsetsSignal) as the sensor takes it: when
// it is refused, what of the old position it drops, and what it records once applied. The sensor
// applies it itself, at a safe point (../sensor.ts, applyReset): Kafka refuses an admin's offset
// change while the group has members, and only the member holding a partition can move its fetch
// position. The request is durable state: it survives continue-as-new. Neighbours: ./offsets.ts,
// ./halt.ts (a halted sensor refuses resets).

import type { PartitionOffset } from '../../batch';
import { recovered } from './failures';
import { noRunsInFlight } from './in-flight';
import { idleTimeoutMs } from './keep-alive';
import type { OffsetReset, Sensor, SensorState } from './state';

/** Why a halted sensor applies no reset: its offsets belong to a topic that is gone. */
export const REFUSED_WHILE_HALTED = 'the sensor is halted (see halted.reason)';

/**
 * A reset arrived (resetOffsetsSignal). A pending one it replaces is reported refused; a halted
 * sensor refuses it. Otherwise it waits for the sensor's next safe point, and what belongs to the
 * old position of its partitions is dropped at once.
 */
export function resetRequested(state: SensorState, request: OffsetReset, at: string): SensorState {
  let next = state;
  if (state.resetRequest) {
    const refused = `replaced by reset ${request.id}`;
    next = { ...next, lastReset: { id: state.resetRequest.id, applied: [], refused, at } };
  }
  if (state.halted) return { ...next, lastReset: { id: request.id, applied: [], refused: REFUSED_WHILE_HALTED, at } };
  return dropForReset({ ...next, resetRequest: request }, request.targets);
}

/** The sensor came to apply `request` but is halted (it halted after the request came): refused. */
export function resetRefused(state: SensorState, request: OffsetReset, at: string): SensorState {
  return {
    ...state,
    lastReset: { id: request.id, applied: [], refused: REFUSED_WHILE_HALTED, at },
    resetRequest: undefined,
  };
}

/**
 * Pending commits, skip points and rewinds of the reset's partitions belong to the old position.
 * Dropped when the reset arrives (a commit sent after the reset would move the partition back where
 * it was), and again right before the reset is applied (runs started meanwhile added some).
 */
export function dropForReset(state: SensorState, targets: PartitionOffset[]): SensorState {
  const pendingCommit = { ...state.pendingCommit };
  const skipThrough = { ...state.skipThrough };
  const rewind = { ...state.rewind };
  for (const { partition } of targets) {
    const key = String(partition);
    delete pendingCommit[key];
    delete skipThrough[key];
    delete rewind[key];
  }
  return { ...state, skipThrough, pendingCommit, rewind };
}

/**
 * The reset is done here: the group's offsets are the targets now (for the partitions this sensor
 * held; the others' holders apply the same request), and runs of these partitions are named
 * after it from now on, in every sensor, whichever holds the partition next.
 */
export function resetDone(
  state: SensorState,
  request: OffsetReset,
  applied: PartitionOffset[],
  at: string,
): SensorState {
  const dropped = dropForReset(state, request.targets);
  const committed = { ...dropped.committed };
  const resetOf = { ...dropped.resetOf };
  for (const { partition, offset } of request.targets) {
    committed[String(partition)] = offset;
    resetOf[String(partition)] = request.id;
  }
  return { ...dropped, committed, resetOf, lastReset: { id: request.id, applied, at }, resetRequest: undefined };
}

/**
 * The sensor comes to apply `request`. `proceed` is false when it halted since the request came:
 * refused, since its offsets belong to a topic that is gone. Otherwise it first waits until no run
 * is in flight: runs in flight load records of the old position, so they finish first, the rows of
 * the re-read come after theirs, and no run of the old position is still counted against the new.
 */
export function resetBegins(sensor: Sensor, request: OffsetReset, at: string): { sensor: Sensor; proceed: boolean } {
  if (sensor.state.halted)
    return { sensor: { ...sensor, state: resetRefused(sensor.state, request, at) }, proceed: false };
  return { sensor: { ...sensor, phase: 'resetting' }, proceed: true };
}

/**
 * After that wait: whether the reset goes on now (then the consumer is claimed if need be). If not,
 * the main loop comes back to it (or the next run, after continue-as-new, does).
 */
export function resetMayGoOn(sensor: Sensor): boolean {
  return noRunsInFlight(sensor) && !sensor.stopping;
}

/** The call that commits the targets of the partitions this sensor's consumer holds and seeks to them. */
export function resetInput(
  sensor: Sensor,
  request: OffsetReset,
): { replica: number; targets: PartitionOffset[]; idleTimeoutMs: number } {
  return { replica: sensor.replica, targets: request.targets, idleTimeoutMs: idleTimeoutMs(sensor.settings) };
}

/** The consumer applied the reset to the partitions it holds (`applied`). */
export function resetApplied(sensor: Sensor, request: OffsetReset, applied: PartitionOffset[], at: string): Sensor {
  return recovered({ ...sensor, state: resetDone(sensor.state, request, applied, at) }, at);
}
