// `npm run bench:charts -- <results.json> [--out-dir DIR]`: redraws the charts of a results file
// `npm run bench` wrote, without running anything again (no servers needed). Beside the JSON by
// default (bench-<time>-drain.svg, -steady.svg, as the bench writes them); with --out-dir, as
// DIR/drain.svg and DIR/steady.svg, the stable names docs/BENCHMARKS.md embeds from docs/bench/.
// The charts themselves: scripts/bench/charts.ts (specs) and scripts/bench/chart-files.ts (SVG).

import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { writeCharts } from './bench/chart-files';
import type { ChartInput } from './bench/charts';

const USAGE = 'usage: npm run bench:charts -- <bench-results/bench-TIME.json> [--out-dir DIR]';

async function main(): Promise<void> {
  let file: string | undefined;
  let outDir: string | undefined;
  try {
    const { values, positionals } = parseArgs({
      options: { 'out-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
    if (values.help) return console.log(USAGE);
    if (positionals.length !== 1) throw new Error('expected exactly one results file');
    file = positionals[0]!;
    outDir = values['out-dir'];
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exit(2);
  }
  let input: ChartInput;
  try {
    input = JSON.parse(readFileSync(file, 'utf8')) as ChartInput;
  } catch (err) {
    console.error(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
  if (!Array.isArray(input.repeats) || typeof input.params?.messages !== 'number') {
    console.error(`${file} is not a results file of npm run bench (no repeats or params.messages)`);
    process.exit(2);
  }
  const paths = outDir
    ? await writeCharts(input, outDir)
    : await writeCharts(input, dirname(file), `${basename(file, '.json')}-`);
  if (paths.length === 0) console.error(`${file} has no drain or steady-state data to draw`);
  for (const p of paths) console.log(p);
}

main().catch((err) => {
  console.error(`bench:charts failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
