// Pause, halt and resume. A paused or halted sensor keeps its partitions (its consumer stays in the
// group), so their records wait in Kafka. A halt is for a topic that was deleted and created again
// (its log ends below offsets the group had committed, or the group's offsets vanished): the
// sensor stops taking records and says why, instead of taking the new records for ones already
// loaded. Neighbours: ./reset.ts (a halted sensor refuses resets), ./lifecycle.ts (the main loop
// holds while paused or halted), README "A recreated topic".

import type { TopicReset } from '../../activities/sensor-activities';
import type { Phase, Sensor } from './state';

/** The recreated partitions, for the halt's reason and the log. */
export function recreatedPartitions(resets: TopicReset[]): string {
  return resets
    .map(
      (r) =>
        `partition ${r.partition}: the group had committed ${r.known}, ` +
        `now ${r.committed ?? 'nothing'}, and the log ends at ${r.logEnd}`,
    )
    .join('; ');
}

/** The topic was deleted and created again: stop taking records, and say why and what to do. */
export function haltForRecreatedTopic(sensor: Sensor, resets: TopicReset[], at: string): Sensor {
  const reason =
    `Kafka topic "${sensor.topic}" was deleted and created again (or the group's offsets were deleted): ${recreatedPartitions(resets)}. ` +
    'Its new records reuse offsets of records already loaded, so this sensor takes no more records. ' +
    'See README, "A recreated topic", for what to do; signal `resume` to take records from the group\'s offsets as they are now.';
  return { ...sensor, state: { ...sensor.state, halted: { reason, at }, lastError: { message: reason, at } } };
}

export function paused(sensor: Sensor): Sensor {
  return { ...sensor, state: { ...sensor.state, paused: true } };
}

/** resumeSignal: ends a pause, or a halt once someone has looked. */
export function resumed(sensor: Sensor): Sensor {
  if (!sensor.state.halted) return { ...sensor, state: { ...sensor.state, paused: false } };
  // Resumed after a recreated topic: what the group has now is the truth. Offsets kept from
  // before belong to the old topic: committed now, they would skip the new one's records.
  return {
    ...sensor,
    state: {
      ...sensor.state,
      paused: false,
      halted: undefined,
      committed: {},
      pendingCommit: {},
      skipThrough: {},
      rewind: {},
    },
  };
}

/** The phase of a sensor holding its consumer while paused or halted. */
export function holdPhase(sensor: Sensor): Phase {
  return sensor.state.halted ? 'halted' : 'paused';
}

/** A pause or halt is over (resumed), or a reset request wants the sensor's attention. */
export function holdEnds(sensor: Sensor): boolean {
  return (!sensor.state.paused && !sensor.state.halted) || !!sensor.state.resetRequest;
}
