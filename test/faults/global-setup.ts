// Global setup of the `faults` project: starts the fault tests' own servers (Kafka, Temporal and
// PostgreSQL, which `infra.sh up` starts with them) from empty state (a leftover pair of an interrupted run is stopped and purged first), and stops it when the
// project ends. The usual servers on 9092/7233 are never touched.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { faultDataDir, infraInTeardown, infraSync } from './servers';

export default function setup(): () => Promise<void> {
  infraSync('down', '--purge');
  infraSync('up');
  // `up` reuses any server already answering on a port; a stop/start would then not reach it.
  // Our PID files exist only for servers this pair started itself.
  for (const server of ['kafka', 'temporal', 'postgres']) {
    if (!existsSync(join(faultDataDir, 'run', `${server}.pid`))) {
      infraSync('down');
      throw new Error(
        `the fault tests' ${server} port is served by a process they did not start (another checkout's fault tests?); ` +
          'stop it and run again',
      );
    }
  }
  return () => infraInTeardown('down');
}
