// SIGINT/SIGTERM for the long-running entry points (`npm run worker`, src/workers/main.ts; `npm run
// producer`): one Ctrl-C is one request to stop, however many times its signal reaches the process.
//
// It reaches it more than once: the terminal signals the whole foreground process group (npm and
// this process), and npm forwards what it gets to its child again; run through tsx's command line,
// tsx relays it once more. So deliveries that come within SAME_PRESS_MS of the first one count as
// one press; a second press is one that comes later.

/** Deliveries of a signal this close together (ms) are one press of Ctrl-C, or one `kill`. */
export const SAME_PRESS_MS = 1_000;

export interface Delivery {
  /** Which press this delivery belongs to: 1 for the first Ctrl-C, 2 for the next, … */
  press: number;
  /** True when it only repeats a press counted already (the same Ctrl-C, relayed). */
  repeat: boolean;
}

/**
 * Counts presses, not deliveries: returns a function to call on each delivery (of SIGINT or
 * SIGTERM alike) with the time it came, in ms.
 */
export function pressCounter(windowMs = SAME_PRESS_MS): (now: number) => Delivery {
  let press = 0;
  let pressStartedAt = 0;
  return (now) => {
    if (press > 0 && now - pressStartedAt < windowMs) return { press, repeat: true };
    press += 1;
    pressStartedAt = now;
    return { press, repeat: false };
  };
}

/**
 * Calls `onPress` once per press of SIGINT/SIGTERM (see pressCounter), with the press number, and
 * keeps listening: with no listener left, one more delivery would end the process mid-shutdown.
 */
export function onShutdownSignals(onPress: (signal: NodeJS.Signals, press: number) => void): void {
  const count = pressCounter();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      const { press, repeat } = count(Date.now());
      if (!repeat) onPress(signal, press);
    });
  }
}
