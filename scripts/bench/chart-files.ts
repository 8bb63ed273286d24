// Renders the benchmark's charts (specs in scripts/bench/charts.ts) to SVG files. Vega renders
// headlessly in Node with renderer 'none': SVG needs no canvas, no browser and no native module.
// Used by scripts/bench.ts after a run and by scripts/bench-charts.ts for an existing results JSON.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { drainChart, steadyChart, type ChartInput } from './charts';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Both packages are ES modules with top-level await, which require() refuses: import() them.
  const vega = await import('vega');
  const { compile } = await import('vega-lite');
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Every chart the results have data for, rendered: `drain` and/or `steady`. */
export async function renderCharts(input: ChartInput): Promise<Record<string, string>> {
  const specs = { drain: drainChart(input), steady: steadyChart(input) };
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(specs)) if (spec) out[name] = await renderSvg(spec);
  return out;
}

/**
 * Writes `<dir>/<prefix><name>.svg` for every chart the results have data for and returns the
 * paths; a scenario that did not run (or an older results file without steady samples) has none.
 */
export async function writeCharts(input: ChartInput, dir: string, prefix = ''): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  for (const [name, svg] of Object.entries(await renderCharts(input))) {
    const path = join(dir, `${prefix}${name}.svg`);
    writeFileSync(path, svg);
    paths.push(path);
  }
  return paths;
}
