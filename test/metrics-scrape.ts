// Reads a /metrics endpoint over HTTP as Prometheus would, for the tests that check the counters
// against the sink (test/integration/metrics.test.ts). The page is read by scripts/prometheus-text.ts.

import { parseMetrics, type Sample } from '../scripts/prometheus-text';

export { has, total, type Sample } from '../scripts/prometheus-text';

export async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return parseMetrics(await res.text());
}
