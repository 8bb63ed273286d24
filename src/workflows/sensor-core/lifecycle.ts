// The sensor's life: what its main loop does next, how a stop and a restart are taken, and what it
// carries through continue-as-new. History stays bounded: every loop (ticks, a pause, the in-flight
// limit, claims that keep failing) ends its wait when the history grew long (../history.ts says
// when), and the main loop then continues as new, carrying counters and state. A stop followed by
// new settings (SENSOR_REPLICAS lowered, then raised again) restarts the sensor instead of ending
// it. Neighbours: ./state.ts, ./in-flight.ts (the runs carried over), ../sensor.ts (the loop).

import { unfinishedRuns } from './in-flight';
import type { Phase, Sensor, SensorSettings, SensorState } from './state';

/** What the main loop does next. */
export type Step = 'stop' | 'continue as new' | 'apply reset' | 'hold' | 'tick';

/**
 * The main loop's next step, in order of precedence: a stop ends it; a long history continues as
 * new; a pending reset is applied before anything else; a paused or halted sensor holds its
 * consumer; otherwise it ticks.
 */
export function nextStep(sensor: Sensor, historyLong: boolean): Step {
  if (sensor.stopping) return 'stop';
  if (historyLong) return 'continue as new';
  if (sensor.state.resetRequest) return 'apply reset';
  if (sensor.state.paused || sensor.state.halted) return 'hold';
  return 'tick';
}

/**
 * Whether a wait loop goes on: its goal is not met, and the sensor is neither stopping nor due to
 * continue as new (the main loop does that, and the new run waits on).
 */
export function keepsWaiting(sensor: Sensor, goalMet: boolean, historyLong: boolean): boolean {
  return !goalMet && !sensor.stopping && !historyLong;
}

/** stopSignal: stop cleanly, whatever settings came before. */
export function stopRequested(sensor: Sensor): Sensor {
  return { ...sensor, stopping: true, restartRequested: false };
}

/**
 * New settings (applySettingsSignal), applied from the next call on. Sent to a sensor that is
 * stopping, they mean "keep running" (the replica was wanted again): it restarts once stopped.
 */
export function settingsApplied(sensor: Sensor, settings: SensorSettings): Sensor {
  return { ...sensor, settings, restartRequested: sensor.stopping || sensor.restartRequested };
}

/** The phase once the main loop has ended. */
export function stopPhase(sensor: Sensor): Phase {
  return sensor.restartRequested ? 'restarting' : 'stopping';
}

/** The phase `status` shows: a stop shows at once, not only once the current wait or call is over. */
export function shownPhase(sensor: Sensor): Phase {
  return sensor.stopping ? stopPhase(sensor) : sensor.phase;
}

/** What the next run gets through continue-as-new: the latest settings, and the state with its unfinished runs. */
export function carryOver(sensor: Sensor): { settings: SensorSettings; state: SensorState } {
  const state = {
    ...sensor.state,
    continuedAsNew: sensor.state.continuedAsNew + 1,
    carriedRuns: unfinishedRuns(sensor),
  };
  return { settings: sensor.settings, state };
}
