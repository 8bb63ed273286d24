// The workflow bundle's entry: the worker's workflowsPath points here. Only deterministic code may
// be reachable from this file (lint bans Node built-ins under src/workflows).
export { KafkaSensor } from './sensor';
export { MicroBatchRun } from './micro-batch-run';
export { Replay } from './replay';
