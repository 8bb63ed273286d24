// The sensor's decisions as plain functions over its state, without Temporal: one file per role.
// ./state.ts the state; ./offsets.ts what to commit, rewind and skip; ./reset.ts resets of the
// group's offsets. The workflow (../sensor.ts) imports them from here and wires them to
// activities, children, signals and timers.

export * from './state';
export * from './offsets';
export * from './reset';
