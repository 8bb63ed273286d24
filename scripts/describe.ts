// `npm run describe -- <workflow ID> [--json]`: a run's or a sensor's status, summary, memo and
// search attributes, readable (scripts/description.ts formats them). `temporal workflow describe`
// prints the memo and search attributes as protobuf maps, and with -o json as base64.

import { WorkflowNotFoundError } from '@temporalio/client';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../src/config';
import { createLogger } from '../src/logger';
import { connectClient } from '../src/workers/connect';
import { exitOnError } from '../src/workers/exit';
import { formatDescription, toView } from './description';

const USAGE = 'usage: npm run describe -- <workflow ID> [--json]   (e.g. sensor-events-0@microbatch-sensor)';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  let args;
  try {
    args = parseArgs({ allowPositionals: true, options: { json: { type: 'boolean' } } });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const [workflowId, ...extra] = args.positionals;
  if (!workflowId || extra.length > 0) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const client = await connectClient(config, createLogger(config.logLevel, 'describe'));
  try {
    const view = await toView(await client.workflow.getHandle(workflowId).describe());
    if (args.values.json) {
      console.log(JSON.stringify(view, null, 2));
    } else {
      console.log(formatDescription(view).join('\n'));
      if (view.type === 'KafkaSensor' && view.status === 'RUNNING') {
        console.log(
          `\nIts state (phase, batches, in-flight runs): npm run temporal -- workflow query --workflow-id ${workflowId} --type status`,
        );
      }
    }
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    console.error(`no workflow ${workflowId} in namespace ${config.temporalNamespace}`);
    process.exitCode = 1;
  } finally {
    await client.connection.close();
  }
}

main().catch(exitOnError('describe'));
