// Runs `npm run worker` (src/workers/main.ts) as a separate process, as a user deploys it, so its
// CPU time and peak memory are its own and not the benchmark's. MANAGE_SENSORS is off unless asked
// for: the benchmark starts the sensors itself once the worker is ready, which is when its clock
// starts. The launch scenario (launch.ts) runs it through npm with MANAGE_SENSORS on, as a user's
// `npm run worker` starts, and times from `launchedAt`.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../../src/workers/runtime-flags';
import { scrapeEventLoopDelay, type EventLoopDelay } from './event-loop-delay';
import { childPids, cpuSeconds, peakRssMiB } from './proc';

export interface WorkerProcess {
  /** The worker's pid; with `viaNpm`, npm's (which execs the worker: CPU and memory are then npm's). */
  pid: number;
  /** Date.now() right before the process was spawned. */
  launchedAt: number;
  cpuSeconds(): number;
  peakRssMiB(): number;
  /**
   * The event-loop delay since the last call (the first call: since the start); undefined without
   * `metricsPort` (./event-loop-delay.ts).
   */
  eventLoopDelay(): Promise<EventLoopDelay | undefined>;
  /** SIGTERM (the worker finishes in-flight tasks and exits), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const ROOT = resolve(__dirname, '../..');

export interface WorkerOptions {
  logFile: string;
  cpuProfileDir?: string;
  /** The worker starts the sensors itself (MANAGE_SENSORS=true), as `npm run worker` does by default. */
  manageSensors?: boolean;
  /** Spawned as `npm run worker` (npm's own start counts), instead of the node command it execs. */
  viaNpm?: boolean;
  /** Serve the worker's metrics on this loopback port (one process per port), for eventLoopDelay(). */
  metricsPort?: number;
}

export async function startWorker(env: Record<string, string>, options: WorkerOptions): Promise<WorkerProcess> {
  // As package.json's "worker" script starts it (src/workers/runtime-flags.ts).
  const nodeArgs: string[] = [...WORKER_NODE_FLAGS];
  if (options.cpuProfileDir) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir);
  const launchedAt = Date.now();
  const [command, args] = options.viaNpm
    ? ['npm', ['run', '--silent', 'worker']]
    : [process.execPath, [...nodeArgs, 'scripts/worker.cjs']];
  const child = spawn(command, args, {
    cwd: ROOT,
    // Benchmarks start several workers on this machine: metrics ports would collide.
    env: {
      ...WORKER_ENV,
      ...process.env,
      METRICS_PORT: '0',
      TEMPORAL_METRICS_PORT: '0',
      ...env,
      ...(options.metricsPort ? { METRICS_PORT: String(options.metricsPort), METRICS_HOST: '127.0.0.1' } : {}),
      MANAGE_SENSORS: options.manageSensors ? 'true' : 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(options.logFile);
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  await waitForLine(child, /worker started/, exited, 120_000);
  const pid = child.pid!;
  return {
    pid,
    launchedAt,
    cpuSeconds: () => cpuSeconds(pid),
    peakRssMiB: () => peakRssMiB(pid),
    eventLoopDelay: async () => (options.metricsPort ? scrapeEventLoopDelay(options.metricsPort) : undefined),
    async stop(graceMs = 40_000) {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => {
        // npm relays SIGTERM to the worker it runs, but SIGKILL would end npm alone.
        for (const p of childPids(pid)) process.kill(p, 'SIGKILL');
        child.kill('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
      log.end();
    },
  };
}

function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  exited: Promise<number | null>,
  timeoutMs: number,
): Promise<void> {
  return new Promise((res, rej) => {
    let seen = '';
    const timer = setTimeout(() => rej(new Error(`worker not ready after ${timeoutMs / 1000}s`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-4096);
      if (pattern.test(seen)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        res();
      }
    };
    // stderr too: a worker that cannot start says why there (`worker cannot start: …`).
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`worker exited (code ${code}) before it was ready: ${seen.slice(-1000)}`));
    });
  });
}
