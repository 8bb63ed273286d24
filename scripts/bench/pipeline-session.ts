// The pipeline under test: a worker process plus the sensors the benchmark starts on it, and a
// Temporal client of the same settings (a payload codec, if configured, must match on both sides).
// stop() ends the sensors cleanly (stop signal), then the worker.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { sensorWorkflowId } from '../../src/batch';
import type { Logger } from '../../src/logger';
import { connectClient } from '../../src/workers/connect';
import { ensureSensors } from '../../src/workers/sensors';
import { stopSignal } from '../../src/workflows/sensor';
import type { Scenario } from './scenario';
import { startWorker, type WorkerOptions, type WorkerProcess } from './worker-process';

export interface PipelineSession {
  client: Client;
  /** The first worker process: `workers[0]`. */
  worker: WorkerProcess;
  /** Every worker process of the pipeline (more than one with `processes`). */
  workers: WorkerProcess[];
  /** Starts the sensors; returns the time it started them (the scenario's clock start). */
  startSensors(): Promise<number>;
  /** Ends the sensors cleanly (their histories are final afterwards). */
  stopSensors(): Promise<void>;
  /** Stops the sensors if still running, then the worker; closes the client. */
  stop(): Promise<void>;
}

/** The log file of worker process `i` (0-based): the first keeps `logFile`, others get `.2`, `.3`, … before `.log`. */
export function workerLogFile(logFile: string, i: number): string {
  return i === 0 ? logFile : logFile.replace(/(\.log)?$/, `.${i + 1}$1`);
}

export async function startSession(
  s: Scenario,
  logger: Logger,
  options: WorkerOptions & {
    /** Worker processes of the same settings, as a user runs `npm run worker` on several machines (1). */
    processes?: number;
  },
): Promise<PipelineSession> {
  const workers: WorkerProcess[] = [];
  const stopWorkers = () => Promise.all(workers.map((w) => w.stop()));
  try {
    for (let i = 0; i < (options.processes ?? 1); i++) {
      // Only the first is profiled: one profile per drain is what profile-summary reads. And only
      // the first serves its metrics on the port given (two processes cannot share it).
      const first = i === 0;
      workers.push(
        await startWorker(s.env, {
          ...options,
          cpuProfileDir: first ? options.cpuProfileDir : undefined,
          metricsPort: first ? options.metricsPort : undefined,
          logFile: workerLogFile(options.logFile, i),
        }),
      );
    }
  } catch (err) {
    await stopWorkers();
    throw err;
  }
  const worker = workers[0]!;
  const client = await connectClient(s.config, logger).catch(async (err) => {
    await stopWorkers();
    throw err;
  });
  const quiet = { ...logger, info: () => undefined };
  const stopSensors = async () => {
    await Promise.all(
      Array.from({ length: s.config.sensorReplicas }, async (_, replica) => {
        const handle = client.workflow.getHandle(sensorWorkflowId(s.config.topic, s.config.groupId, replica));
        await handle.signal(stopSignal).catch(() => undefined);
        const stopped = await Promise.race([
          handle.result().then(
            () => true,
            () => true,
          ),
          sleep(30_000).then(() => false),
        ]);
        if (!stopped)
          await handle.terminate('benchmark cleanup: the sensor did not stop within 30 s').catch(() => undefined);
      }),
    );
  };
  return {
    client,
    worker,
    workers,
    async startSensors() {
      const t0 = Date.now();
      await ensureSensors(client, s.config, quiet);
      return t0;
    },
    stopSensors,
    async stop() {
      try {
        await stopSensors();
      } finally {
        await stopWorkers();
        await client.connection.close();
      }
    },
  };
}
