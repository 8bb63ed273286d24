// Creating side by side, all or none (src/workers/all-or-none.ts): what createPipeline relies on
// so that one Temporal worker failing to be created leaves no other one holding the connection.

import { describe, expect, it } from 'vitest';
import { createAllOrNone } from '../../src/workers/all-or-none';

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));
const failAfter = (ms: number, error: Error) => new Promise<never>((_, reject) => setTimeout(() => reject(error), ms));

describe('creating side by side, all or none', () => {
  it('returns everything created, in the creators order, and disposes of nothing', async () => {
    const disposed: string[] = [];
    const created = await createAllOrNone(
      [() => after(20, 'a'), () => after(1, 'b')],
      async (thing) => void disposed.push(thing),
    );
    expect(created).toEqual(['a', 'b']);
    expect(disposed).toEqual([]);
  });

  it('disposes of what was created, even after the failure, and throws the first failure', async () => {
    const disposed: string[] = [];
    const first = new Error('the runs worker could not be created');
    const error = await createAllOrNone(
      [
        () => after(1, 'sensor'),
        () => failAfter(5, first),
        () => failAfter(10, new Error('a later failure')),
        // Created only after the failure: it must not be left behind either.
        () => after(30, 'consumer'),
      ],
      async (thing) => void disposed.push(thing),
    ).catch((e: unknown) => e);
    expect(error).toBe(first);
    expect(disposed.sort()).toEqual(['consumer', 'sensor']);
  });

  it('disposes of the rest when one disposal fails, and still throws the creation failure', async () => {
    const disposed: string[] = [];
    const failure = new Error('creation failed');
    const error = await createAllOrNone(
      [() => after(1, 'a'), () => after(1, 'b'), () => Promise.reject(failure)],
      async (thing) => {
        if (thing === 'a') throw new Error('disposal failed');
        disposed.push(thing);
      },
    ).catch((e: unknown) => e);
    expect(error).toBe(failure);
    expect(disposed).toEqual(['b']);
  });

  it('counts a creator that throws before returning a promise as a failed creation', async () => {
    const disposed: string[] = [];
    const failure = new Error('invalid options');
    const error = await createAllOrNone<string>(
      [
        () => after(1, 'a'),
        () => {
          throw failure;
        },
      ],
      async (thing) => void disposed.push(thing),
    ).catch((e: unknown) => e);
    expect(error).toBe(failure);
    expect(disposed).toEqual(['a']);
  });
});
