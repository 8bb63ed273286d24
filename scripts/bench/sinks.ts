// Which sinks a benchmark run measures (`--sink sqlite|postgres|both`), and how a drain's results
// are named per sink: a variant drained into SQLite keeps its name, the same variant drained into
// PostgreSQL is `<name>@postgres`, so the report can take each drain's ratio against the ceiling of
// its own sink (a bare consumer writing into that sink).
//
// Neighbours: params.ts (the flag), scenario.ts (a scenario's sink), report.ts (the ratios).

export type SinkKind = 'sqlite' | 'postgres';

export const SINK_CHOICES: Record<string, SinkKind[]> = {
  sqlite: ['sqlite'],
  postgres: ['postgres'],
  both: ['sqlite', 'postgres'],
};

const POSTGRES_SUFFIX = '@postgres';

/** The key of a drain's results: the variant's name, marked when it drained into PostgreSQL. */
export function drainKey(variant: string, sink: SinkKind): string {
  return sink === 'postgres' ? `${variant}${POSTGRES_SUFFIX}` : variant;
}

/** The sink a drain (by its key) wrote into. */
export function sinkOfDrain(key: string): SinkKind {
  return key.endsWith(POSTGRES_SUFFIX) ? 'postgres' : 'sqlite';
}

/**
 * Worker settings that send a scenario's rows into `sink` (its file or table is the scenario's
 * own); set either way, so a SINK in the caller's environment does not decide instead of --sink.
 */
export function sinkEnv(sink: SinkKind): Record<string, string> {
  return { SINK: sink };
}
