// Creates several things side by side, all or none: when one creation fails, the others that were
// created are disposed of before that failure is thrown, so a start that fails leaves nothing
// behind. createPipeline (./pipeline.ts) creates its Temporal workers so: a created worker holds
// its connection until it has run, and the process could then neither close the connection (its
// error would replace the one that explains the failed start) nor reuse it.

/**
 * Calls every creator at once and returns what they created, in their order. If one fails, waits
 * for the rest to settle, disposes of each one that was created (a disposal that fails is left to
 * `dispose` to report) and throws the first creator's failure.
 */
export async function createAllOrNone<T>(
  creators: ReadonlyArray<() => Promise<T>>,
  dispose: (created: T) => Promise<void>,
): Promise<T[]> {
  // A creator that throws before returning its promise counts as a failed creation too.
  const settled = await Promise.allSettled(creators.map(async (create) => create()));
  const failure = settled.find((s) => s.status === 'rejected');
  const created = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (!failure) return created;
  await Promise.allSettled(created.map(async (thing) => dispose(thing)));
  throw failure.reason;
}
