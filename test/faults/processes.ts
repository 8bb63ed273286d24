// Worker processes for the fault tests: each is a real `npm run worker` (scripts/worker.cjs: the
// worker compiled ahead, see that file) in its own process group, with its output appended to a log file. A test kills one with SIGKILL
// (the whole group, as when a machine or container dies), stops it with SIGTERM (a graceful
// leave) or freezes it with SIGSTOP and SIGCONT (a stalled process: a VM or container paused, a
// machine swapping), and prints the tail of every log when it fails.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../../src/workers/runtime-flags';
import { repoRoot } from './servers';

/** What `npm run worker` runs, with its flags, started with this Node (npm left out: one process fewer). */
const workerArgs = [...WORKER_NODE_FLAGS, join(repoRoot, 'scripts', 'worker.cjs')];

export class WorkerProcess {
  private readonly child: ChildProcess;
  /** Settles when the process has exited, with its exit code or the signal that ended it. */
  readonly exited: Promise<string>;
  private exitedYet = false;
  readonly startedAt = Date.now();

  private constructor(
    readonly name: string,
    readonly logFile: string,
    env: NodeJS.ProcessEnv,
  ) {
    const fd = openSync(logFile, 'a');
    try {
      this.child = spawn(process.execPath, workerArgs, {
        cwd: repoRoot,
        env: { ...WORKER_ENV, ...env },
        // A group of its own, so that a kill reaches whatever the worker starts too.
        detached: true,
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitedYet = true;
        resolve(signal ?? `exit code ${code}`);
      });
    });
  }

  static start(name: string, logDir: string, env: NodeJS.ProcessEnv): WorkerProcess {
    mkdirSync(logDir, { recursive: true });
    const worker = new WorkerProcess(name, join(logDir, `${name}.log`), env);
    running.add(worker);
    return worker;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return !this.exitedYet;
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  tail(lines = 40): string {
    return this.log().trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Waits until the log has a line matching `pattern` (written after `fromLength` characters). */
  async waitForLog(pattern: RegExp, timeoutMs = 60_000, fromLength = 0): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.log().slice(fromLength))) {
      if (!this.alive) throw new Error(`worker ${this.name} exited before logging ${pattern}:\n${this.tail()}`);
      if (Date.now() > deadline)
        throw new Error(`worker ${this.name} did not log ${pattern} within ${timeoutMs} ms:\n${this.tail()}`);
      await sleep(200);
    }
  }

  /** Waits for "worker started": its Temporal workers poll and its sensors are ensured. */
  started(timeoutMs = 90_000): Promise<void> {
    return this.waitForLog(/worker started/, timeoutMs);
  }

  /** SIGKILL to the whole group: no shutdown code runs, the Kafka consumers stay group members. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
    running.delete(this);
  }

  /**
   * SIGTERM to the group (a graceful leave); SIGKILL if it has not exited within `graceMs`. tsx's
   * exit code does not tell a clean stop (it may report the signal): read the log for that.
   */
  async stop(graceMs = 60_000): Promise<string> {
    this.signal('SIGTERM');
    const how = await Promise.race([this.exited, sleep(graceMs).then(() => undefined)]);
    if (how === undefined) {
      this.signal('SIGKILL');
      await this.exited;
      running.delete(this);
      return `did not stop within ${graceMs} ms after SIGTERM; killed`;
    }
    running.delete(this);
    return how;
  }

  /** SIGSTOP to the group: the process stops where it is, sockets and all, until resume(). */
  pause(): void {
    this.signal('SIGSTOP');
  }

  /** SIGCONT to the group: a paused process goes on, its timers overdue. */
  resume(): void {
    this.signal('SIGCONT');
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.alive) return;
    try {
      process.kill(-this.pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
}

/** Workers not yet stopped, for cleanup. */
const running = new Set<WorkerProcess>();
// Workers live in process groups of their own, so they would outlive a test process that dies
// without running its afterEach hooks (e.g. a broken pipe): take them along.
process.once('exit', () => {
  for (const w of running) {
    try {
      process.kill(-w.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
/** Every worker started by the current test (their logs are printed when it fails). */
const startedInTest: WorkerProcess[] = [];

/** Starts a worker and remembers it, so killAllWorkers() and printWorkerLogs() see it. */
export function startWorker(name: string, logDir: string, env: NodeJS.ProcessEnv): WorkerProcess {
  const worker = WorkerProcess.start(name, logDir, env);
  startedInTest.push(worker);
  return worker;
}

/** Test cleanup: SIGKILL whatever still runs (the servers and topic are the test's own). */
export async function killAllWorkers(): Promise<void> {
  await Promise.all([...running].map((w) => w.kill()));
}

/** A new test begins: logs printed on failure are those of its own workers. */
export function forgetWorkers(): void {
  startedInTest.length = 0;
}

export function printWorkerLogs(lines = 60): void {
  for (const w of startedInTest) {
    console.log(`\n----- last ${lines} lines of worker ${w.name} (${w.logFile}) -----\n${w.tail(lines)}`);
  }
}
