// Fault: the worker holding every consumer freezes (SIGSTOP: a paused VM or container, a machine
// swapping) for longer than Kafka's session timeout while a second worker runs. Kafka drops the
// frozen worker's consumers and the sensors claim consumers on the second worker. When the first
// goes on (SIGCONT), the client would rejoin the group with its old consumers, whose leases have not
// run out yet, and take partitions from the live ones until the idle reaper closed them; they must
// leave instead, before they join (src/kafka/rejoin-gate.ts).

import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { sensorWorkflowId } from '../../src/batch';
import { statusQuery } from '../../src/workflows/sensor';
import { expectExactlyOnce, scenarioPerTest, SINK_BOUND_MS, waitUntil, type FaultScenario } from './harness';

const MESSAGES = 40_000;
const RATE = 500;
/** Each worker's consumers show in the group under its own client id. */
const FROZEN = 'frozen-worker';
const LIVE = 'live-worker';
/** How long the group is watched after SIGCONT. */
const WATCH_MS = 20_000;
/** The continued worker's consumers must be out of the group (if they ever showed) by then. */
const OUT_WITHIN_MS = 5_000;

const scenario = scenarioPerTest();

/** The client ids of the group's members now. */
async function memberClients(s: FaultScenario): Promise<string[]> {
  return (await s.servers.admin.describeGroup(s.config.groupId)).memberClientIds;
}

/** Each sensor's consumer task queue (undefined while it claims, or when the query fails). */
async function consumerQueues(s: FaultScenario): Promise<Array<string | undefined>> {
  return Promise.all(
    Array.from({ length: s.config.sensorReplicas }, (_, replica) =>
      s.servers.client.workflow
        .getHandle(sensorWorkflowId(s.config.topic, s.config.groupId, replica))
        .query(statusQuery)
        .then((status) => status.consumerTaskQueue)
        .catch(() => undefined),
    ),
  );
}

describe('a worker frozen longer than the session timeout', () => {
  it("keeps the continued worker's expired consumers out of the group, and loses and duplicates nothing", async () => {
    // Sensor leases of 120 s (MAX_SENSOR_TICK_RUNTIME + TIME_BETWEEN_SENSOR_TICKS + 60 s) outlive
    // the freeze, as the 95 s default leases outlived the user's 60 s one: the idle reaper does
    // not close the consumers at SIGCONT.
    const s = await scenario('stall', { MAX_SENSOR_TICK_RUNTIME: '60s' });
    const frozen = s.startWorker({ KAFKA_CLIENT_ID: FROZEN });
    await frozen.started();
    await waitUntil(
      'both consumers on the first worker',
      async () => (await memberClients(s)).filter((c) => c === FROZEN).length === 2,
      90_000,
    );
    const live = s.startWorker({ KAFKA_CLIENT_ID: LIVE });
    await live.started();
    const producing = s.produce(MESSAGES, RATE);
    await s.waitForSinkRows(2_000);
    const [frozenQueue] = await consumerQueues(s);
    expect(frozenQueue).toBeDefined();

    s.mark('SIGSTOP');
    frozen.pause();
    await waitUntil(
      'the sensors to hold consumers on the live worker, and the group to hold only those',
      async () => {
        const queues = await consumerQueues(s);
        const members = await memberClients(s);
        return (
          queues.every((q) => q !== undefined && q !== frozenQueue) &&
          members.length === 2 &&
          members.every((c) => c === LIVE)
        );
      },
      240_000,
    );
    s.mark('re-homed');

    frozen.resume();
    const resumedAt = s.mark('SIGCONT');
    let frozenLastSeenMs: number | undefined;
    let mostMembers = 0;
    while (Date.now() - resumedAt < WATCH_MS) {
      const members = await memberClients(s);
      mostMembers = Math.max(mostMembers, members.length);
      if (members.includes(FROZEN)) frozenLastSeenMs = Date.now() - resumedAt;
      await sleep(250);
    }
    const membersAtEnd = await memberClients(s);
    console.log(
      `[fault] after SIGCONT: the continued worker's consumers last seen in the group ` +
        `${frozenLastSeenMs === undefined ? 'never' : `${(frozenLastSeenMs / 1000).toFixed(1)} s`} after it, ` +
        `at most ${mostMembers} members, ${membersAtEnd.length} at the end`,
    );

    expect(frozen.alive, 'the continued worker is still running').toBe(true);
    expect(
      frozenLastSeenMs ?? 0,
      "ms after SIGCONT the continued worker's consumers were still in the group",
    ).toBeLessThan(OUT_WITHIN_MS);
    expect(membersAtEnd).toEqual([LIVE, LIVE]);
    // The sensors stayed where they were: the continued worker's notice named a queue not theirs.
    expect((await consumerQueues(s)).every((q) => q !== undefined && q !== frozenQueue)).toBe(true);

    expect((await producing.done).sent).toBe(MESSAGES);
    const recovery = await s.waitForRecovery(MESSAGES, resumedAt, SINK_BOUND_MS);
    const figures = await s.figures(MESSAGES);
    s.report('worker frozen (SIGSTOP) past the session timeout', figures, recovery, 'after SIGCONT');
    expectExactlyOnce(figures, recovery);
  });
});
