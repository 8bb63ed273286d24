// Summarizes the .cpuprofile files `node --cpu-prof` wrote for a worker (one per JS thread: the
// main thread and the workflow threads): self time by component (kafkajs, SQLite, Temporal SDK,
// protobuf, JSON, GC, our code, idle) and the hottest functions. Also usable on its own:
//   tsx scripts/bench/profile-summary.ts bench-results/<run>/profile

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  /** Microseconds on the monotonic clock (the one process.hrtime reads on Linux). */
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  files: Array<{ file: string; busyMs: number; idleMs: number }>;
  byComponent: Array<{ component: string; ms: number; share: number }>;
  topFunctions: Array<{ fn: string; ms: number }>;
}

/**
 * Sums the profiles in `dir`. With `window` (monotonic microseconds, as process.hrtime gives them),
 * only samples taken inside it count: the worker's start-up (module loading, bundling) is left out.
 */
export function summarizeProfiles(dir: string, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const byComponent = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const files: ProfileSummary['files'] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    let busy = 0;
    let idle = 0;
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      at += profile.timeDeltas[i] ?? 0;
      if (window && (at < window.fromUs || at > window.toUs)) return;
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      const frame = nodes.get(id)!.callFrame;
      const component = componentOf(frame.url, frame.functionName);
      if (component === 'idle') {
        idle += ms;
        return;
      }
      busy += ms;
      byComponent.set(component, (byComponent.get(component) ?? 0) + ms);
      const name = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    });
    files.push({ file, busyMs: busy, idleMs: idle });
  }
  const total = [...byComponent.values()].reduce((a, b) => a + b, 0) || 1;
  return {
    files,
    byComponent: [...byComponent]
      .sort((a, b) => b[1] - a[1])
      .map(([component, ms]) => ({ component, ms, share: ms / total })),
    topFunctions: [...byFunction]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 20)
      .map(([fn, ms]) => ({ fn, ms })),
  };
}

function componentOf(url: string, fn: string): string {
  if (fn === '(idle)') return 'idle';
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(program)') return 'native (program)';
  if (url.includes('/kafkajs/')) return 'kafkajs';
  if (url.includes('better-sqlite3')) return 'SQLite (better-sqlite3)';
  if (url.includes('protobufjs') || url.includes('@temporalio/proto')) return 'protobuf';
  if (url.includes('@temporalio/worker')) return 'Temporal worker';
  if (url.includes('@temporalio/workflow') || url.includes('workflow-bundle')) return 'Temporal workflow runtime';
  if (url.includes('@temporalio/')) return 'Temporal SDK other';
  if (url.includes('/src/')) return 'our code (src/)';
  if (url === '' && /^(parse|stringify)$/.test(fn)) return 'JSON';
  if (url.startsWith('node:') || url === '') return 'Node internals/native';
  if (url.includes('node_modules')) return 'other dependencies';
  return 'other';
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf('node_modules/');
  if (i >= 0) return url.slice(i + 13);
  const s = url.lastIndexOf('/src/');
  return s >= 0 ? url.slice(s + 1) : url.replace(/^file:\/\//, '');
}

export function renderProfile(p: ProfileSummary): string {
  const lines = [
    `threads profiled: ${p.files.map((f) => `${f.file} busy ${(f.busyMs / 1000).toFixed(1)}s idle ${(f.idleMs / 1000).toFixed(1)}s`).join('; ')}`,
  ];
  lines.push('self time by component:');
  for (const c of p.byComponent)
    lines.push(
      `  ${c.component.padEnd(28)} ${(c.ms / 1000).toFixed(2).padStart(7)} s  ${(c.share * 100).toFixed(1).padStart(5)}%`,
    );
  lines.push('hottest functions (self time):');
  for (const f of p.topFunctions.slice(0, 12)) lines.push(`  ${(f.ms / 1000).toFixed(2).padStart(7)} s  ${f.fn}`);
  return lines.join('\n');
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: tsx scripts/bench/profile-summary.ts <directory with .cpuprofile files>');
    process.exit(2);
  }
  console.log(renderProfile(summarizeProfiles(dir)));
}
