// How long the sensor asks its consumer's worker to keep the consumer, and how often it touches it
// while it waits (paused, halted, at the in-flight limit, before a reset). A worker closes a
// consumer left idle this long: its sensor must have moved elsewhere. Neighbours: ./consumer.ts,
// ../sensor.ts (holdConsumerUntil, which waits with these).

import type { Sensor, SensorSettings } from './state';

/**
 * Longest wait between touches of the consumer while the sensor waits. Each touch asks the worker
 * to keep the consumer three such waits long.
 */
export const MAX_KEEP_ALIVE_MS = 5 * 60_000;

/** Idle time after which a worker closes this replica's consumer (it must have moved). */
export function idleTimeoutMs(settings: SensorSettings): number {
  return settings.timeBetweenTicksMs + settings.maxTickRuntimeMs + 60_000;
}

/** Longest a wait may last before the consumer is touched, so it is not closed as idle. */
export function keepAliveMs(settings: SensorSettings): number {
  return Math.min(30_000, Math.floor(idleTimeoutMs(settings) / 3));
}

/**
 * The next wait of a hold: doubling up to MAX_KEEP_ALIVE_MS, so a long pause costs few history
 * events, but never shorter than the keep-alive.
 */
export function nextHoldWaitMs(sensor: Sensor, waitMs: number): number {
  return Math.min(MAX_KEEP_ALIVE_MS, Math.max(waitMs * 2, keepAliveMs(sensor.settings)));
}

/** How long the touch before a wait of `waitMs` asks the worker to keep the consumer: well after the next touch. */
export function holdLeaseMs(sensor: Sensor, waitMs: number): number {
  return Math.max(idleTimeoutMs(sensor.settings), waitMs * 3);
}
