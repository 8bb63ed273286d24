// A wait with two ways out, for the range readers of both clients: a read that takes too long
// fails with its own message, and closing the reader fails every read still waiting.

/** `promise`, unless `deadline` (epoch ms) passes or `closing` aborts first. */
export function withinDeadline<T>(
  promise: Promise<T>,
  deadline: number,
  closing: AbortSignal,
  timeoutMessage: () => string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const settle = (finish: () => void) => {
      clearTimeout(timer);
      closing.removeEventListener('abort', onClose);
      finish();
    };
    const onClose = () => settle(() => reject(new Error('RangeReader closed')));
    const timer = setTimeout(
      () => settle(() => reject(new Error(timeoutMessage()))),
      Math.max(0, deadline - Date.now()),
    );
    closing.addEventListener('abort', onClose);
    if (closing.aborted) onClose();
    promise.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}
