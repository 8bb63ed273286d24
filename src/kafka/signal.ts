// A wake-up call between the kafkajs fetch loop and the consume-batch activity: one side waits (with
// a time limit), the other notifies. Notifications are not counted; a waiter rechecks its condition.

export class Signal {
  private waiters: Array<() => void> = [];

  /** Resolves on the next notify(), or after `ms`, whichever comes first. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      const waiters = this.waiters;
      function done() {
        clearTimeout(timer);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  notify(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
