// Determinism: histories recorded from real runs (npm run fixtures:record) are replayed against the
// current workflow code. A change that would make running workflows fail on replay fails here.
// Needs no server: replay happens in this process.

import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataConverterFor } from '../../src/workers/compression-codec';

const dir = join(__dirname, '../fixtures/histories');
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json'));
let workflowBundle: WorkflowBundle;

beforeAll(async () => {
  workflowBundle = await bundleWorkflowCode({
    workflowsPath: resolve(__dirname, '../../src/workflows'),
    logger: silent,
  });
}, 60_000);

describe('recorded workflow histories', () => {
  it('include the sensor, every MicroBatchRun path and a Replay, for both batch payloads', () => {
    const paths = [
      'micro-batch-run-dead-letter',
      'micro-batch-run-held',
      'micro-batch-run-plain',
      'micro-batch-run-retried',
      'replay',
      'sensor',
    ];
    // Once with runs carrying offsets, once with runs carrying their records (BATCH_PAYLOAD).
    expect(fixtures.sort()).toEqual(['offsets', 'records'].flatMap((mode) => paths.map((p) => `${mode}-${p}.json`)));
  });

  it.each(fixtures)('%s replays against the current workflow code', async (file) => {
    const history = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    // Recordings made with PAYLOAD_COMPRESSION=deflate hold compressed payloads; plain ones pass through.
    const dataConverter = dataConverterFor({ payloadCompression: 'deflate' });
    await expect(Worker.runReplayHistory({ workflowBundle, dataConverter }, history, file)).resolves.toBeUndefined();
  });
});

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
