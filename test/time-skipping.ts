// A time-skipping Temporal for tests: TestWorkflowEnvironment.createTimeSkipping() on Temporal's
// Java test server (io.temporal:temporal-test-server from Maven Central; `scripts/infra.sh paths`
// installs it in .tools/ and prints TEMPORAL_TEST_SERVER_BIN, which the integration global setup
// provides as `temporalTestServerBin`), with our custom search attributes registered.
//
// What the Java test server (1.31.0) does differently from a real Temporal, for what our workflows
// use (checked by test/integration/time-skipping.test.ts, or in the server's source where said):
//
// - No visibility queries. ListWorkflowExecutions and CountWorkflowExecutions answer UNIMPLEMENTED:
//   `client.workflow.list()`/`count()` fail, and with them src/runs.ts (`npm run lag`'s running
//   runs), the sensor manager's listing in src/workers/sensors.ts and batch operations (`temporal
//   workflow signal --query`). Search attributes are stored and shown by describe, never searched.
//   Tests: find workflows by ID (run IDs come from offsets, sensor IDs from topic and replica), or
//   test visibility on the dev server (TestWorkflowEnvironment.createLocal).
// - Works: describe (status, typed search attributes, staticSummary, parent, historyLength),
//   signals, queries, startChild with ParentClosePolicy.ABANDON and WorkflowIdReusePolicy
//   .REJECT_DUPLICATE (a used ID fails with WorkflowExecutionAlreadyStartedError, running or
//   finished), condition with a timeout, sleep, continue-as-new, activities.
// - Search attributes must be registered, else a start fails "search attribute X is not defined".
//   There is no --search-attribute flag and no listing (ListSearchAttributes is UNIMPLEMENTED);
//   createTimeSkippingEnv adds ours through the operator service. It has no per-type limit, so it
//   will not catch the dev server's 3-Int-attribute limit (docs/INFRA.md).
// - It never suggests continue-as-new (workflowInfo().continueAsNewSuggested stays false and
//   historySize 0; source): the sensor's continue-as-new never happens there. Drive it by
//   workflowInfo().historyLength, as the probe workflow does, or use a dev server with
//   `--dynamic-config-value limit.historyCount.suggestContinueAsNew=N`.
// - Time skips only while something awaits a workflow result or `env.sleep()` runs, and only while
//   no workflow task, activity or child start is outstanding: activities run in real time.
// - Two ways to stop time skipping for the rest of the server's life (a lock is never released):
//   a child that finishes after its parent's run closed (ABANDON, then the parent continued as new
//   or completed: sdk-java#1540), and a workflow whose task no worker took, even once terminated.
//   The sensor does the first (its runs outlive its continue-as-new); tests must let children
//   finish before the parent's run closes, give every workflow a worker, and use a server per test
//   file (or per test that may break it). Timer waits then last real time and tests time out.
// - Time-skipping unlocks are counted: one more unlock than locks is refused with UNKNOWN ("Unbalanced
//   lock and unlock calls"), which the client retries. A `result()` wait and an `env.sleep()` at the
//   same time do that; a sleep in the background goes through skipTimeInBackground (below).
// - After a result, its clock can jump years ahead (timeouts of continued-as-new runs still fire):
//   measure workflow time inside workflows (Date.now() there), not with env.currentTimeMs().
// - It listens on all interfaces, not only loopback (its main class takes no address), on a random
//   port, while the test runs. The SDK's worker warns that heartbeat details may be lost when an
//   activity fails there (a capability it does not advertise).

import { Connection } from '@temporalio/client';
// Not in the package's index; @temporalio/testing itself imports it from here to reach the test service.
import { InternalConnectionOptionsSymbol, type InternalConnectionOptions } from '@temporalio/client/lib/connection';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { defineSearchAttributeKey, IllegalStateError, SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
// Not in the package's index; the SDK exports the encoder "for use in tests to register search attributes".
import {
  encodeSearchAttributeIndexedValueType,
  type SearchAttributeKey,
} from '@temporalio/common/lib/search-attributes';
import { inject } from 'vitest';
import * as appSearchAttributes from '../src/search-attributes';
import { installTemporalLogger } from '../src/workers/connect';

type AnySearchAttributeKey = SearchAttributeKey<SearchAttributeType>;

const HOUR_MS = 3_600_000;
/**
 * Channel arguments of every client connection to the test server: keepalive pings just over
 * grpc-java's default permitKeepAliveTime (5 minutes), which the test server keeps; pings closer
 * than that are "excess" (see createWithCalmKeepalive).
 */
const CALM_KEEPALIVE = { 'grpc.keepalive_time_ms': 6 * 60_000 };
/** gRPC status codes (@grpc/grpc-js's status.CANCELLED and status.DEADLINE_EXCEEDED). */
const CANCELLED = 1;
const DEADLINE_EXCEEDED = 4;

/**
 * The custom search attributes createTimeSkippingEnv registers: those of src/search-attributes.ts
 * (the names and types scripts/infra/temporal.sh gives the dev server) plus KafkaGroup, a Keyword
 * another change adds to the app (counted once when it is there).
 */
export const timeSkippingSearchAttributes: readonly AnySearchAttributeKey[] = uniqueByName([
  ...(Object.values(appSearchAttributes) as AnySearchAttributeKey[]),
  defineSearchAttributeKey('KafkaGroup', SearchAttributeType.KEYWORD),
]);

export interface TimeSkippingEnvOptions {
  /** The test server executable. Default: what the integration global setup provides. */
  executable?: string;
  /** More search attributes to register (beside timeSkippingSearchAttributes). */
  searchAttributes?: readonly AnySearchAttributeKey[];
}

/**
 * Starts a time-skipping test server of its own (about 0.7 s) and connects to it. Time skips only
 * while a client awaits a workflow result (`handle.result()`, `client.workflow.execute()`) or
 * during `env.sleep(ms)`; otherwise the server's clock runs in real time. Call `env.teardown()`
 * when done: it kills the server.
 */
export async function createTimeSkippingEnv(options: TimeSkippingEnvOptions = {}): Promise<TestWorkflowEnvironment> {
  const path = options.executable ?? inject('temporalTestServerBin');
  if (!path) {
    throw new Error(
      'no time-skipping test server: `bash scripts/infra.sh paths` printed no TEMPORAL_TEST_SERVER_BIN ' +
        '(io.temporal:temporal-test-server needs Java 17+, and Maven to fetch it; see its warning above)',
    );
  }
  quietSdkLogs();
  const env = await createWithCalmKeepalive({
    server: { type: 'time-skipping', executable: { type: 'existing-path', path } },
    supportsTimeSkipping: true,
    connectionOptions: { channelArgs: CALM_KEEPALIVE },
  });
  try {
    await registerSearchAttributes(env, [...timeSkippingSearchAttributes, ...(options.searchAttributes ?? [])]);
  } catch (err) {
    await env.teardown();
    throw err;
  }
  return env;
}

/**
 * TestWorkflowEnvironment.createTimeSkipping, with the client's keepalive pings spaced as the test
 * server allows. The client pings every 30 s; the server (grpc-java's default) permits one ping per
 * 5 minutes and answers more with GOAWAY "too_many_pings", which kills a call in flight. When that
 * call is an `env.sleep()` that lasts over a minute of real time (time does not skip while
 * activities run), the client retries it, the server unlocks time skipping twice ("Unbalanced lock
 * and unlock calls") and time never skips again: the test times out. createTimeSkipping passes no
 * connection options, so this calls the method it calls, which does (private in the SDK's types).
 */
async function createWithCalmKeepalive(options: {
  server: { type: 'time-skipping'; executable: { type: 'existing-path'; path: string } };
  supportsTimeSkipping: true;
  connectionOptions: { channelArgs: Record<string, number> };
}): Promise<TestWorkflowEnvironment> {
  const create = (TestWorkflowEnvironment as unknown as { create(o: typeof options): Promise<TestWorkflowEnvironment> })
    .create;
  if (typeof create !== 'function') throw new Error('@temporalio/testing no longer has TestWorkflowEnvironment.create');
  return create.call(TestWorkflowEnvironment, options);
}

/**
 * The test server refuses a workflow that sets a search attribute it does not know ("search
 * attribute X is not defined"); it knows none of ours at start. It has no `--search-attribute`
 * flag, but its operator service takes them (for every namespace at once: it keeps one list).
 */
async function registerSearchAttributes(env: TestWorkflowEnvironment, keys: readonly AnySearchAttributeKey[]) {
  const searchAttributes = Object.fromEntries(
    uniqueByName(keys).map((key) => {
      const type = encodeSearchAttributeIndexedValueType(key.type);
      if (type === undefined) throw new Error(`search attribute ${key.name}: unknown type ${key.type}`);
      return [key.name, type];
    }),
  );
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes,
  });
}

/**
 * True if the server still skips time: an hour of env.sleep returns within `withinMs` of real time
 * (so the server's clock, and whatever timers fall in that hour, move an hour ahead).
 * A leaked time-skipping lock (see the header) makes the server's clock run at wall-clock
 * speed from then on, and every later timer wait in the environment real time: a test that may leak
 * one can check with this, and fail saying so rather than time out.
 */
export async function timeStillSkips(e: TestWorkflowEnvironment, withinMs = 5_000): Promise<boolean> {
  // A deadline, not a timer race: a call still pending at teardown would be retried on a closed channel.
  return e.connection
    .withDeadline(Date.now() + withinMs, () => e.sleep(HOUR_MS))
    .then(
      () => true,
      (err: unknown) => {
        // Under load the deadline can pass while the client's retry interceptor waits to retry;
        // grpc-js then ends the call CANCELLED. Nothing else cancels this call.
        const code = (err as { code?: number }).code;
        if (code === DEADLINE_EXCEEDED || code === CANCELLED) return false;
        throw err;
      },
    );
}

/**
 * Skips up to `ms` of workflow time without waiting for it; await the returned function before
 * `env.teardown()`. The sleep runs on a connection of its own, without the client's retry
 * interceptor, and the returned function cancels it, waits for it to end and closes that connection.
 *
 * Why not `env.sleep()` on the environment's connection: the server refuses a sleep with UNKNOWN
 * ("Unbalanced lock and unlock calls") when a `result()` wait unlocked time skipping first, and the
 * retry interceptor sends it again from a timer as a new call, which a cancel of the first no longer
 * reaches. Still alive when the environment is torn down (time does not skip while activities run),
 * it fails "Connection dropped", and its next retry fires into the closed channel: an uncaught
 * "Channel has been shut down" that fails the test run (test/integration/time-skipping.test.ts
 * shows it). Refused here, it just ends: the `result()` wait that unlocked time skipping skips time
 * meanwhile.
 */
export function skipTimeInBackground(e: TestWorkflowEnvironment, ms: number): () => Promise<void> {
  const options: InternalConnectionOptions = {
    address: e.address,
    interceptors: [],
    channelArgs: CALM_KEEPALIVE,
    [InternalConnectionOptionsSymbol]: { supportsTestService: true },
  };
  const connection = Connection.lazy(options);
  const controller = new AbortController();
  const sleeping = connection
    .withAbortSignal(controller.signal, () =>
      connection.testService!.unlockTimeSkippingWithSleep({ duration: msToTs(ms) }),
    )
    .catch(() => undefined);
  return async () => {
    controller.abort();
    await sleeping;
    await connection.close();
  };
}

/** Keeps the SDK's INFO lines (worker state changes) out of test output, as test/helpers.ts does. */
function quietSdkLogs() {
  try {
    installTemporalLogger('warn');
  } catch (err) {
    // The SDK runtime exists already (this test file made a worker or a connection first): keep it.
    if (!(err instanceof IllegalStateError)) throw err;
  }
}

function uniqueByName(keys: readonly AnySearchAttributeKey[]): AnySearchAttributeKey[] {
  const byName = new Map<string, AnySearchAttributeKey>();
  for (const key of keys) {
    const seen = byName.get(key.name);
    if (seen && seen.type !== key.type) {
      throw new Error(`search attribute ${key.name} is both ${seen.type} and ${key.type}`);
    }
    byName.set(key.name, key);
  }
  return [...byName.values()];
}
