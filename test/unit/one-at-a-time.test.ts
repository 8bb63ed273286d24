import { describe, expect, it } from 'vitest';
import { OneAtATime } from '../../src/kafka/one-at-a-time';

/** A promise with its resolve and reject handed out, to settle it from the test. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('OneAtATime', () => {
  it('starts a call only once the one before it has settled, in the order made', async () => {
    const turns = new OneAtATime();
    const started: string[] = [];
    const first = deferred<string>();
    const a = turns.run(() => (started.push('a'), first.promise));
    const b = turns.run(async () => (started.push('b'), 'b'));
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual(['a']);
    first.resolve('a');
    expect(await a).toBe('a');
    expect(await b).toBe('b');
    expect(started).toEqual(['a', 'b']);
  });

  it('goes on after a call fails, and the failure reaches only its own caller', async () => {
    const turns = new OneAtATime();
    const failing = turns.run(() => Promise.reject(new Error('boom')));
    const next = turns.run(async () => 'next');
    await expect(failing).rejects.toThrow('boom');
    expect(await next).toBe('next');
  });

  it('also waits for a call that throws before returning a promise', async () => {
    const turns = new OneAtATime();
    const failing = turns.run((): Promise<never> => {
      throw new Error('sync');
    });
    await expect(failing).rejects.toThrow('sync');
    expect(await turns.run(async () => 1)).toBe(1);
  });
});
