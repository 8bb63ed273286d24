// Reads a /metrics page (Prometheus text format) as Prometheus would: its samples, and sums of
// them. Shared by the benchmark (the worker's event-loop delay, scripts/bench/event-loop-delay.ts)
// and the tests that check the counters against the sink (test/metrics-scrape.ts).

import { createServer } from 'node:net';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A label value: quoted, with `\"`, `\\` and `\n` escaped. */
const QUOTED = String.raw`"(?:[^"\\]|\\.)*"`;
const SAMPLE = new RegExp(String.raw`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[^"}]|${QUOTED})*)\})? (\S+)`);
const LABEL = new RegExp(String.raw`([a-zA-Z_][a-zA-Z0-9_]*)=(${QUOTED})`, 'g');

/** The samples of a Prometheus text-format page (comments skipped); throws on a line that is none. */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, quoted] of (match[2] ?? '').matchAll(LABEL)) {
      labels[key!] = quoted!.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of `name`'s samples whose labels include `where`; 0 when there are none. */
export function total(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

export function has(samples: Sample[], name: string): boolean {
  return samples.some((s) => s.name === name);
}

/** A TCP port free on loopback now, for a server that must be told its port (it may be taken by then). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
