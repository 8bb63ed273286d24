// Runs async calls strictly one after another, in the order they were made: each starts when the
// one before it has settled, whether it succeeded or failed. The range readers and the sensor
// consumer use it so that a call (a read, a rewind, a close) always sees what the one before it did.

export class OneAtATime {
  /** Settles when the last call made so far has; never rejects. */
  private last: Promise<unknown> = Promise.resolve();

  run<T>(call: () => Promise<T>): Promise<T> {
    const result = this.last.then(call, call);
    this.last = result.catch(() => undefined);
    return result;
  }
}
