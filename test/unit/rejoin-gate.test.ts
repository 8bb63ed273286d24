// A sensor consumer rejoins its group by itself only while it can still be a member and its sensor
// still uses it (src/kafka/rejoin-gate.ts). The real thing, with a worker process stopped and
// continued, is test/faults/worker-stalled.test.ts.

import type { Assigner, PartitionAssigner } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { gatedAssigner } from '../../src/kafka/kafkajs/gated-assigner';
import { reasonNotToRejoin, RejoinRefusedError, type MembershipFacts } from '../../src/kafka/rejoin-gate';

const NOW = 1_000_000;
const facts = (overrides: Partial<MembershipFacts>): MembershipFacts => ({
  now: NOW,
  lastMembershipAt: NOW - 2_000,
  sessionTimeoutMs: 30_000,
  lastUsedAt: NOW - 1_000,
  leaseMs: 70_000,
  ...overrides,
});

describe('whether a sensor consumer may rejoin its group', () => {
  it('may, for a rebalance while it heartbeats and its sensor calls', () => {
    expect(reasonNotToRejoin(facts({}))).toBeUndefined();
  });

  it('may join for the first time, however long its start took', () => {
    expect(reasonNotToRejoin(facts({ lastMembershipAt: undefined }))).toBeUndefined();
  });

  it('may not after a stall longer than the session, though its lease still runs', () => {
    // The user's case: stopped 60 s, lease 95 s; the group dropped it at 30 s and its sensor moved.
    const reason = reasonNotToRejoin(
      facts({ lastMembershipAt: NOW - 60_000, lastUsedAt: NOW - 60_000, leaseMs: 95_000 }),
    );
    expect(reason).toMatch(/no heartbeat for 60\.0 s, longer than the 30\.0 s session/);
  });

  it('may after a stall shorter than the session: the member is still in the group', () => {
    expect(reasonNotToRejoin(facts({ lastMembershipAt: NOW - 25_000, lastUsedAt: NOW - 25_000 }))).toBeUndefined();
  });

  it('may not once its sensor has not called within the lease, even if it heartbeats', () => {
    const reason = reasonNotToRejoin(facts({ lastUsedAt: NOW - 80_000 }));
    expect(reason).toMatch(/its sensor has not called for 80\.0 s \(lease 70\.0 s\)/);
  });
});

describe('the gated assigner', () => {
  const inner: PartitionAssigner = () =>
    ({
      name: 'Inner',
      version: 3,
      assign: async () => [{ memberId: 'm', memberAssignment: Buffer.from('a') }],
      protocol: ({ topics }: { topics: string[] }) => ({ name: 'Inner', metadata: Buffer.from(topics.join()) }),
    }) as Assigner;
  const config = {} as Parameters<PartitionAssigner>[0];

  it("keeps the inner assigner's name, version, protocol and assignment when the check passes", async () => {
    const gated = gatedAssigner(inner, () => undefined)(config);
    expect([gated.name, gated.version]).toEqual(['Inner', 3]);
    expect(gated.protocol({ topics: ['t'] })).toEqual({ name: 'Inner', metadata: Buffer.from('t') });
    expect(await gated.assign({ members: [], topics: ['t'] })).toHaveLength(1);
  });

  it('stops the join, with an error kafkajs does not retry, when the check refuses', () => {
    const gated = gatedAssigner(inner, () => {
      throw new RejoinRefusedError('its sensor moved');
    })(config);
    let thrown: unknown;
    try {
      gated.protocol({ topics: ['t'] });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RejoinRefusedError);
    expect((thrown as RejoinRefusedError).retriable).toBe(false);
  });
});
