// The sensor's decisions as plain functions over its state, without Temporal: each takes the state
// (or the Sensor, the state plus what one run of the workflow knows) and an event, and returns the
// new value and/or a decision. The workflow (../sensor.ts) imports them from here and wires them to
// activities, children, signals and timers; test/unit/sensor-core/ tests each file.

/** The input, the durable state, the Sensor value and its start. */
export * from './state';
/** What to commit, rewind and skip as runs start or fail to start. */
export * from './offsets';
/** Started-but-unfinished runs, counted against the in-flight limit. */
export * from './in-flight';
/** One tick: when it goes on and ends, each call's request, the wait between ticks. */
export * from './tick';
/** Tokens that let records wake a sensor waiting between ticks. */
export * from './wake';
/** Claiming, losing and releasing the consumer. */
export * from './consumer';
/** How long to keep the consumer, and how often to touch it while waiting. */
export * from './keep-alive';
/** The last error, failures in a row, the retry backoff. */
export * from './failures';
/** The main loop's next step, stop and restart, continue-as-new. */
export * from './lifecycle';
/** Pause, resume and halting on a recreated topic. */
export * from './halt';
/** Resets of the group's offsets. */
export * from './reset';
/** The `status` query. */
export * from './status';
