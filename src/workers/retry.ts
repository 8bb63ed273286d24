// Retries a connection to a server that may not be up yet, printing one readable line per failed
// attempt instead of a stack trace, with backoff (1 s doubling to 30 s).

import type { Logger } from '../logger';

export async function retryUntilConnected<T>(
  what: string,
  connect: () => Promise<T>,
  logger: Logger,
  options: { signal?: AbortSignal; maxAttempts?: number } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect();
    } catch (err) {
      if (options.signal?.aborted || attempt === options.maxAttempts) throw err;
      const delay = Math.min(30_000, 1_000 * 2 ** Math.min(attempt - 1, 5));
      logger.warn(`${what} is not reachable; retrying in ${delay / 1000}s`, { reason: describe(err) });
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message !== err.message ? `${err.message} (${cause.message})` : err.message;
}
