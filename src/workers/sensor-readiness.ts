// Waits until the sensors `npm run worker` asked for are really running. A sensor may still be
// stopping when it is asked for again (SENSOR_REPLICAS lowered, then raised within seconds): it then
// restarts as a new run instead of ending (see applySettingsSignal), and only once that happened may
// the worker report it running.

import type { Client } from '@temporalio/client';
import { statusQuery } from '../workflows/sensor';

/** Phases of a sensor that is on its way out (or restarting) rather than running. */
const LEAVING = new Set(['stopping', 'restarting']);

/** Its name tells a reader of the failure what happened; no caller tells it apart, so it stays private. */
class SensorsNotRunningError extends Error {
  override readonly name = 'SensorsNotRunningError';
}

/**
 * Resolves once every one of `workflowIds` is running and not stopping; rejects naming those that
 * are not after `timeoutMs`. Needs a worker polling the sensors' task queue (queries run there).
 */
export async function waitUntilSensorsRunning(
  client: Client,
  workflowIds: string[],
  // A restarting sensor first leaves the consumer group, which can wait out a rebalance (a minute).
  timeoutMs = 180_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let notYet = workflowIds;
  let lastProblem = new Map<string, string>();
  while (notYet.length > 0) {
    const problems = new Map<string, string>();
    await Promise.all(
      notYet.map(async (workflowId) => {
        const problem = await whyNotRunning(client, workflowId);
        if (problem) problems.set(workflowId, problem);
      }),
    );
    notYet = notYet.filter((id) => problems.has(id));
    lastProblem = problems;
    if (notYet.length === 0) return;
    if (Date.now() > deadline) {
      const list = notYet.map((id) => `${id} (${lastProblem.get(id)})`).join(', ');
      throw new SensorsNotRunningError(`sensors not running after ${Math.round(timeoutMs / 1000)} s: ${list}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function whyNotRunning(client: Client, workflowId: string): Promise<string | undefined> {
  try {
    const handle = client.workflow.getHandle(workflowId);
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') return status.name.toLowerCase();
    const { phase } = await handle.query(statusQuery);
    return LEAVING.has(phase) ? phase : undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
