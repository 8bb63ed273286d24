// One Ctrl-C reaches `npm run worker` two or three times (the terminal, npm forwarding it, tsx
// relaying it); the worker counts presses, so it says "again" only when someone pressed again.

import { describe, expect, it } from 'vitest';
import { pressCounter, SAME_PRESS_MS } from '../../src/workers/shutdown-signals';

describe('counting shutdown signals', () => {
  it('counts one Ctrl-C delivered three times within milliseconds as one press', () => {
    const count = pressCounter();
    expect([count(10_000), count(10_001), count(10_031)]).toEqual([
      { press: 1, repeat: false },
      { press: 1, repeat: true },
      { press: 1, repeat: true },
    ]);
  });

  it('counts a signal after the window as a second press', () => {
    const count = pressCounter();
    count(10_000);
    count(10_030);
    expect(count(10_000 + SAME_PRESS_MS)).toEqual({ press: 2, repeat: false });
    expect(count(10_000 + SAME_PRESS_MS + 5)).toEqual({ press: 2, repeat: true });
    expect(count(10_000 + 3 * SAME_PRESS_MS)).toEqual({ press: 3, repeat: false });
  });

  it('measures the window from the start of a press, so pressing every half second still counts', () => {
    const count = pressCounter(1_000);
    const presses = [0, 500, 1_000, 1_500, 2_000].map((t) => count(t).press);
    expect(presses).toEqual([1, 1, 2, 2, 3]);
  });

  it('counts the first signal as the first press even at time 0', () => {
    expect(pressCounter()(0)).toEqual({ press: 1, repeat: false });
  });
});
