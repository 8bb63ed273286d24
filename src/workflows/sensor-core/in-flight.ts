// In-flight run accounting: the started-but-unfinished runs that count against MAX_IN_FLIGHT_RUNS
// (backpressure: beyond it no records are taken, so they wait in Kafka as lag, not in Temporal).
// Runs this workflow run started are tracked until it sees them finish; runs started before
// continue-as-new are carried over and, since a terminated run sends nothing, checked now and then
// (../sensor.ts, checkCarried). Neighbours: ./state.ts, ./lifecycle.ts (what continue-as-new carries).

import { runRecovered } from './failures';
import { keepAliveMs } from './keep-alive';
import type { Sensor } from './state';

/** First check of runs carried over from an earlier run of the sensor, at the in-flight limit. */
export const CARRIED_RUNS_FIRST_CHECK_MS = 2_000;

export interface InFlightRuns {
  /** Runs this workflow run started and has not seen finish. */
  readonly tracked: ReadonlySet<string>;
  /** Unfinished runs started by earlier runs of the sensor (SensorState.carriedRuns). */
  readonly carried: ReadonlySet<string>;
}

export function inFlightFrom(carriedRuns: string[]): InFlightRuns {
  return { tracked: new Set(), carried: new Set(carriedRuns) };
}

/** Started-but-unfinished runs, as counted against the limit. */
export function inFlight(sensor: Sensor): number {
  return sensor.runs.tracked.size + sensor.runs.carried.size;
}

export function hasFreeSlot(sensor: Sensor): boolean {
  return inFlight(sensor) < sensor.settings.maxInFlightRuns;
}

/** Batches the next consume-batch call may cut: one run each. */
export function freeSlots(sensor: Sensor): number {
  return sensor.settings.maxInFlightRuns - inFlight(sensor);
}

export function noRunsInFlight(sensor: Sensor): boolean {
  return inFlight(sensor) === 0;
}

/** How soon a sensor at the limit first looks again: soon when carried runs may have been terminated. */
export function firstSlotCheckMs(sensor: Sensor): number {
  return sensor.runs.carried.size > 0 ? CARRIED_RUNS_FIRST_CHECK_MS : keepAliveMs(sensor.settings);
}

/** The sensor started run `workflowId`. */
export function runStarted(sensor: Sensor, workflowId: string): Sensor {
  return { ...sensor, runs: { ...sensor.runs, tracked: new Set(sensor.runs.tracked).add(workflowId) } };
}

/** A run this workflow run started closed (its result settled, whatever it was). */
export function runClosed(sensor: Sensor, workflowId: string): Sensor {
  return { ...sensor, runs: { ...sensor.runs, tracked: without(sensor.runs.tracked, workflowId) } };
}

/**
 * A run said it finished (runFinishedSignal): it no longer counts, whichever run of the sensor
 * started it, and the trouble it reported, if any, is over.
 */
export function runFinished(sensor: Sensor, workflowId: string, at: string): Sensor {
  return {
    ...sensor,
    runs: { tracked: without(sensor.runs.tracked, workflowId), carried: without(sensor.runs.carried, workflowId) },
    state: runRecovered(sensor.state, workflowId, at),
  };
}

/** Carried runs to look up (none: nothing to ask). */
export function carriedRunIds(sensor: Sensor): string[] {
  return [...sensor.runs.carried];
}

/** Of the carried runs, those not in `running` have ended: forgotten. */
export function carriedStillRunning(sensor: Sensor, running: string[]): Sensor {
  const still = new Set(running);
  const carried = new Set([...sensor.runs.carried].filter((id) => still.has(id)));
  return { ...sensor, runs: { ...sensor.runs, carried } };
}

/** The unfinished runs to carry through continue-as-new: this run's, then those it carried. */
export function unfinishedRuns(sensor: Sensor): string[] {
  return [...sensor.runs.tracked, ...sensor.runs.carried];
}

function without(ids: ReadonlySet<string>, id: string): ReadonlySet<string> {
  const rest = new Set(ids);
  rest.delete(id);
  return rest;
}
