// How long one workflow activation may run on a workflow thread before the SDK stops it: 10 minutes
// instead of the SDK's 5 s.
//
// Why: the SDK runs each activation in a `vm` context with a timeout kept on the wall clock. A worker
// process frozen while an activation runs (a paused VM or container, a machine swapping, SIGSTOP)
// finds that timeout passed when it goes on, however short the activation was: a probe that froze a
// worker for 7 s while its workflows ran CPU-heavy activations saw "Script execution timed out after
// 5000ms" after 4 of 6 freezes, and none of 6 with 10 minutes. Such a timeout fails the workflow task
// (Temporal retries it); Node can also abort the process when the timeout lands while microtasks run
// (nodejs/node#38503), which is the likely cause of the "async hook stack has become corrupted" abort
// seen twice after SIGCONT in test/faults/worker-stalled.test.ts (docs/RELIABILITY.md).
//
// What it costs: the timeout exists to stop workflow code stuck in a loop. Ours (src/workflows) runs
// each activation in milliseconds and users do not write workflow code; a stuck one would hold its
// workflow thread for 10 minutes before its task fails, instead of 5 s.

export const WORKFLOW_ACTIVATION_TIMEOUT = '10m';

/**
 * Worker options that set it. `isolateExecutionTimeout` is read by the SDK's Worker.create but not
 * declared in its WorkerOptions type ("not exposed at the moment", @temporalio/worker 1.24), hence the
 * widened type; test/unit/activation-timeout.test.ts checks that the SDK still takes it.
 */
export const activationTimeoutOptions: Record<string, unknown> = {
  isolateExecutionTimeout: WORKFLOW_ACTIVATION_TIMEOUT,
};
