// After a clean stop, `npm run worker` should end by itself once nothing is left to do. Something
// that outlives its close keeps it running instead: seen after the broker was killed, kafkajs
// restarted a consumer that crashed while it was being disconnected, and two sockets to the broker
// and its retry timers held the process 60 s after `worker stopped cleanly`, until it was killed
// (src/kafka/sensor-consumer.ts now keeps a closed consumer down; this catches the rest). So the
// worker waits a few seconds for the event loop to drain, then exits anyway and says what it cut.
// Used by src/workers/main.ts.

import type { Logger } from '../logger';

/** How long a stopped worker waits for its last handles to close before it exits anyway. */
export const EXIT_GRACE_MS = 5_000;

/** A handle as Node reports it: sockets carry their peer. */
interface ActiveHandle {
  constructor?: { name?: string };
  remoteAddress?: string;
  remotePort?: number;
}

/**
 * What keeps the event loop alive, as one line: each kind with its count, and the peers of open
 * sockets (e.g. `TCPSocketWrap x2, Timeout x4; sockets to 127.0.0.1:9092 x2`).
 */
export function describeHeldResources(kinds: string[], handles: ActiveHandle[] = []): string {
  const counted = (names: string[]) =>
    [...names.reduce((m, n) => m.set(n, (m.get(n) ?? 0) + 1), new Map<string, number>())]
      .map(([name, n]) => (n > 1 ? `${name} x${n}` : name))
      .join(', ');
  const peers = handles.filter((h) => h.remoteAddress).map((h) => `${h.remoteAddress}:${h.remotePort}`);
  const text = counted(kinds) || 'nothing';
  return peers.length > 0 ? `${text}; sockets to ${counted(peers)}` : text;
}

/**
 * Lets the process end by itself if its event loop drains within `graceMs`; otherwise logs what
 * still holds it and exits with `code`. The timer does not itself keep the process alive.
 */
export function exitWhenDrained(logger: Logger, code = 0, graceMs = EXIT_GRACE_MS): void {
  const timer = setTimeout(() => {
    const held = describeHeldResources(process.getActiveResourcesInfo(), activeHandles());
    logger.warn(`still running ${graceMs / 1000} s after stopping; exiting anyway, cutting what holds it`, { held });
    process.exit(code);
  }, graceMs);
  timer.unref();
}

/** Node's own list of open handles, for socket peers: undocumented, so used only when present. */
function activeHandles(): ActiveHandle[] {
  const list = (process as { _getActiveHandles?: () => ActiveHandle[] })._getActiveHandles;
  return typeof list === 'function' ? list.call(process) : [];
}
