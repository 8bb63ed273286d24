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
  worker: WorkerProcess;
  /** Starts the sensors; returns the time it started them (the scenario's clock start). */
  startSensors(): Promise<number>;
  /** Ends the sensors cleanly (their histories are final afterwards). */
  stopSensors(): Promise<void>;
  /** Stops the sensors if still running, then the worker; closes the client. */
  stop(): Promise<void>;
}

export async function startSession(s: Scenario, logger: Logger, options: WorkerOptions): Promise<PipelineSession> {
  const worker = await startWorker(s.env, options);
  const client = await connectClient(s.config, logger).catch(async (err) => {
    await worker.stop();
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
        await worker.stop();
        await client.connection.close();
      }
    },
  };
}
