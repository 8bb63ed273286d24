// Reading @platformatic/kafka's errors. They nest: a MultipleErrors (one entry per retry, per broker
// or per partition) holds others in `errors`, a connection error holds the socket's or the SASL
// exchange's in `cause`, and a broker's error answer is a ProtocolError whose `apiId` is Kafka's name
// for the code (OFFSET_OUT_OF_RANGE, SASL_AUTHENTICATION_FAILED…). The rest of this folder asks its
// questions of an error here, never of one error object's shape.
//
// Neighbours: ./refusal.ts (refused settings), ./group-consumer.ts and ./range-reader.ts (fetch
// errors), ./admin.ts.

/** The fields of the library's errors (and of Node's, which they wrap) that this folder reads. */
export interface LibraryError {
  name?: string;
  message?: string;
  /** The library's code (PLT_KFK_…) or Node's (ECONNREFUSED, ERR_SSL_…). */
  code?: string;
  /** A broker's error code name, on a ProtocolError. */
  apiId?: string;
  /** The broker's own words, when it sent some. */
  serverErrorMessage?: string | null;
  /** False on errors the library does not retry. */
  canRetry?: boolean;
  errors?: unknown[];
  cause?: unknown;
}

/** `err` and every error it wraps, depth first, each once. */
export function* nestedErrors(err: unknown): Generator<LibraryError> {
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length > 0) {
    const current = stack.pop();
    if (!current || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const e = current as LibraryError;
    yield e;
    // Pushed in reverse so that they come out in order, the cause after the wrapped list.
    if (e.cause) stack.push(e.cause);
    if (Array.isArray(e.errors)) for (const inner of [...e.errors].reverse()) stack.push(inner);
  }
}

/** The first broker error named `apiId` within `err`, if any. */
export function protocolError(err: unknown, apiId: string): LibraryError | undefined {
  for (const e of nestedErrors(err)) if (e.apiId === apiId) return e;
  return undefined;
}

/**
 * The partitions a fetch answer refused, with the broker's name for each error. The library throws
 * the whole answer when any partition has an error: a ResponseError whose `response` is the answer
 * and whose `errors` name each failing partition by its `path` in it.
 */
export function partitionErrors(err: unknown): Map<number, string> {
  const out = new Map<number, string>();
  for (const e of nestedErrors(err)) {
    const response = (e as { response?: FetchAnswer }).response;
    if (!response?.responses || !Array.isArray(e.errors)) continue;
    for (const inner of e.errors as (LibraryError & { path?: string })[]) {
      const [, t, p] = /^\/responses\/(\d+)\/partitions\/(\d+)$/.exec(inner?.path ?? '') ?? [];
      const partition = response.responses[Number(t)]?.partitions[Number(p)]?.partitionIndex;
      if (partition !== undefined && inner.apiId) out.set(partition, inner.apiId);
    }
  }
  return out;
}

interface FetchAnswer {
  responses?: { partitions: { partitionIndex: number }[] }[];
}

/**
 * One readable line: what the innermost errors say (the socket's, the broker's), each once, without
 * the library's wrappers ("metadata failed 3 times.", "Cannot connect to any broker.").
 */
export function describeError(err: unknown): string {
  const said: string[] = [];
  for (const e of nestedErrors(err)) {
    const wraps = Boolean(e.cause) || (Array.isArray(e.errors) && e.errors.length > 0);
    const text = e.serverErrorMessage || e.message;
    if (!wraps && text && !said.includes(text)) said.push(text);
  }
  return said.join('; ') || (err instanceof Error ? err.message : String(err));
}
