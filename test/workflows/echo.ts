// A test-only workflow: calls one activity and returns its answer. Proves a real worker on the real
// Temporal server runs workflows and activities (test/integration/servers.test.ts).
import { proxyActivities } from '@temporalio/workflow';

const { shout } = proxyActivities<{ shout(text: string): Promise<string> }>({ startToCloseTimeout: '10 seconds' });

export async function echo(text: string): Promise<string> {
  return await shout(text);
}
