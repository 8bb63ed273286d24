// Retries a connection to a server that may not be up yet, printing one readable line per failed
// attempt instead of a stack trace, with backoff (1 s doubling to 30 s). A server that refuses a
// setting (RefusedSettingError) is not retried: waiting cannot fix a wrong password.

import { RefusedSettingError } from '../config-error';
import type { Logger } from '../logger';

export async function retryUntilConnected<T>(
  what: string,
  connect: () => Promise<T>,
  logger: Logger,
  options: {
    signal?: AbortSignal;
    maxAttempts?: number;
    /** Errors worth waiting out (default: all); any other is thrown at once. */
    retryable?: (err: unknown) => boolean;
    /** Called on each failed attempt (counted by the metrics). */
    onFailure?: () => void;
  } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect();
    } catch (err) {
      if (err instanceof RefusedSettingError) throw err;
      options.onFailure?.();
      if (options.signal?.aborted || attempt === options.maxAttempts) throw err;
      if (options.retryable && !options.retryable(err)) throw err;
      const delay = Math.min(30_000, 1_000 * 2 ** Math.min(attempt - 1, 5));
      logger.warn(`${what} is not reachable; retrying in ${delay / 1000}s`, { reason: describe(err) });
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** One readable line for an error: its message and its cause's, without a stack trace. */
export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const text =
    cause instanceof Error && cause.message !== err.message ? `${err.message} (${cause.message})` : err.message;
  // The Temporal core reports transport errors as Rust debug output; keep the OS's own words.
  const osMessage = /message: "([^"]+)"/.exec(text)?.[1];
  return osMessage && text.includes('tonic::transport') ? `connection failed: ${osMessage}` : text;
}
