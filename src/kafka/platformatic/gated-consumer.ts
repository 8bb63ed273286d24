// The rejoin gate (../rejoin-gate.ts) in @platformatic/kafka. The library has no hook before a join,
// but every JoinGroup it sends (the first, and its own rejoins after a rebalance, a lapsed session or
// a failed commit) starts by asking the client for the JoinGroup API through the protected
// [kGetApi] method, which the package exports for subclasses. The gate answers that request: a
// refused join never leaves this process, so the member takes no partition it would not read.

import { Consumer, kGetApi, UserError, type API, type Callback, type ConsumerOptions } from '@platformatic/kafka';

export class GatedConsumer extends Consumer<Buffer, Buffer, Buffer, Buffer> {
  /** What the gate threw when it refused a join; set once, since it never lets one through again. */
  refusal: Error | undefined;

  /** `check` runs before each JoinGroup request and throws to stop it (see ../rejoin-gate.ts). */
  constructor(
    options: ConsumerOptions<Buffer, Buffer, Buffer, Buffer>,
    private readonly check: () => void,
  ) {
    super(options);
  }

  override [kGetApi]<RequestArguments extends Array<unknown>, ResponseType>(
    name: string,
    callback: Callback<API<RequestArguments, ResponseType>>,
  ): void {
    if (name === 'JoinGroup' && !this.refusal) {
      try {
        this.check();
      } catch (err) {
        this.refusal = err as Error;
      }
    }
    if (name === 'JoinGroup' && this.refusal) {
      // A UserError is not retried: the library gives up on the join at once (a rejoin of its own
      // then ends in the consumer's 'error' event) instead of asking the gate again and again.
      callback(new UserError(this.refusal.message, { cause: this.refusal }));
      return;
    }
    super[kGetApi](name, callback);
  }
}
