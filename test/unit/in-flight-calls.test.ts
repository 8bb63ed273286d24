// A stopping worker waits for the Temporal calls nobody awaits (wake signals, released-consumer
// notices) before its client closes: settled() resolves only once every tracked call has ended.

import { describe, expect, it } from 'vitest';
import { InFlightCalls } from '../../src/workers/in-flight-calls';

describe('calls in flight', () => {
  it('settled() waits for every tracked call, succeeded or failed, and not for one tracked after', async () => {
    const calls = new InFlightCalls();
    let finish!: () => void;
    let fail!: (err: Error) => void;
    const ok = calls.track(new Promise<void>((resolve) => (finish = resolve)));
    const bad = calls.track(new Promise<void>((_, reject) => (fail = reject)));
    bad.catch(() => undefined);
    let settled = false;
    const waiting = calls.settled().then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBe(false);
    finish();
    await ok;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBe(false);
    fail(new Error('gone'));
    await waiting;
    expect(settled).toBe(true);
    // Nothing left: a new wait returns at once.
    await calls.settled();
  });
});
