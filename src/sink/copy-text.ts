// Rows in the text format of PostgreSQL's COPY: one line per row, fields separated by tabs, \N for
// NULL, and backslash, tab, newline and carriage return escaped, so line N of the data is row N.
//
// Neighbours: postgres-sink.ts streams these lines with pg-copy-streams.

export type CopyValue = string | number | null;

export function copyLine(values: CopyValue[]): string {
  return values.map(copyField).join('\t') + '\n';
}

function copyField(value: CopyValue): string {
  if (value === null) return '\\N';
  return String(value).replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!);
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** PostgreSQL's text types cannot hold the NUL character at all (COPY would refuse the line). */
export function hasNul(value: string | null): boolean {
  return value !== null && value.includes('\u0000');
}
