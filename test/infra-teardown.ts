// scripts/infra.sh for the global setups' teardowns, run without blocking vitest's main process.
// A synchronous `infra.sh down` (stopping Kafka, Temporal and PostgreSQL takes 5–20 s) held the
// event loop while vitest was ending the last test file's process: its "stopped" answer waited
// unread, and vitest reported "Timeout terminating forks worker" for a file that had passed.

import { spawn } from 'node:child_process';

/** Runs `bash <script> ...args` with its output on the terminal; rejects on a non-zero exit. */
export function runInfraScript(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], { env, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`scripts/infra.sh ${args.join(' ')} exited with ${signal ?? `code ${code}`}`));
    });
  });
}
