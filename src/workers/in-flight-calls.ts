// Calls to Temporal that nobody awaits (a signal waking a sensor, a notice that its consumer
// closed), kept so that a worker stopping waits for them before its client goes away. A call still
// retrying when the connection closes would fire its retry into a closed channel: an uncaught
// exception from the SDK's retry timer, seen when a test tore its Temporal down right after.

export class InFlightCalls {
  private readonly calls = new Set<Promise<unknown>>();

  /** Keeps `call` until it settles; returns it. */
  track<T>(call: Promise<T>): Promise<T> {
    this.calls.add(call);
    const forget = () => this.calls.delete(call);
    call.then(forget, forget);
    return call;
  }

  /** Resolves once every call tracked so far has settled, however it ended. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.calls]);
  }
}
