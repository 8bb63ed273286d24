// What a PostgreSQL error means for a batch, by its SQLSTATE (the `code` the server sends; see
// the "PostgreSQL Error Codes" appendix of its manual), following the Sink contract (sink.ts):
//
// - outage: the server is away or cannot take this transaction now (connection lost, shutting down,
//   too many connections, out of disk or memory, a serialization failure or deadlock, a read-only
//   standby after a failover). Retried without limit, never dead-lettered;
// - row: the row breaks a rule of the table (class 22: a value its column's type refuses; class 23:
//   a constraint, other than the (topic, partition, offset) key, which ON CONFLICT absorbs). The
//   row is named and rejected, and the rest of the batch loads;
// - anything else (no table, permission denied, a wrong password, an unknown column): the batch is
//   refused without naming a row, which holds the run until someone fixes the cause.
//
// Neighbours: postgres-sink.ts acts on the verdict.

export type Verdict = 'outage' | 'row' | 'other';

/** SQLSTATE classes and codes that mean "not now". */
const OUTAGE_CLASSES = new Set(['08', '53', '58']); // connection exception, insufficient resources, system (I/O) error
const OUTAGE_CODES = new Set([
  '57P01', // admin_shutdown: the server is stopping, or pg_terminate_backend ended the session
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or in recovery
  '57P05', // idle_session_timeout
  '57014', // query_canceled: statement_timeout or pg_cancel_backend
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '25006', // read_only_sql_transaction: a standby, e.g. right after a failover
]);

/** Node's and pg's words for a connection that failed before or without a SQLSTATE. */
const CONNECTION_ERROR_CODES =
  /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)$/;
const CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Client was closed/i;

export function verdictOf(err: unknown): Verdict {
  const code = sqlState(err);
  if (code) {
    if (OUTAGE_CLASSES.has(code.slice(0, 2)) || OUTAGE_CODES.has(code)) return 'outage';
    if (code.startsWith('22')) return 'row';
    // A unique violation of the key itself cannot come from a row: ON CONFLICT takes the key.
    if (code.startsWith('23')) return code === '23505' && isKeyConstraint(err) ? 'other' : 'row';
    return 'other';
  }
  const nodeCode = (err as { code?: unknown } | undefined)?.code;
  if (typeof nodeCode === 'string' && CONNECTION_ERROR_CODES.test(nodeCode)) return 'outage';
  if (err instanceof Error && CONNECTION_MESSAGES.test(err.message)) return 'outage';
  return 'other';
}

/** The five-character SQLSTATE of a server error, if it is one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function isKeyConstraint(err: unknown): boolean {
  const detail = (err as { detail?: string }).detail ?? '';
  return /^Key \(topic, partition, "?offset"?\)=/.test(detail);
}

/**
 * A row error described without the row's values: `PostgreSQL 22P02 in column produced_at`. Rows
 * refused for one reason then fail "the same way" for the systemic-failure rule, whatever value
 * each one held (the message, which quotes the value, still goes into the dead letter).
 */
export function rowErrorKind(err: unknown): string {
  const e = err as { code?: string; column?: string; constraint?: string; where?: string };
  const column = e.column ?? /column (\w+)/.exec(e.where ?? '')?.[1];
  const parts = [`PostgreSQL ${e.code ?? 'error'}`];
  if (e.constraint) parts.push(`constraint ${e.constraint}`);
  else if (column) parts.push(`in column ${column}`);
  return parts.join(' ');
}
