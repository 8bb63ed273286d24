// When a sensor consumer may (re)join its consumer group. kafkajs rejoins on its own whenever the
// coordinator has forgotten a member (its session lapsed: the process was stopped, starved or cut
// off for longer than the session timeout) and whenever it restarts a consumer that crashed, even
// one that was disconnected meanwhile. A consumer whose sensor has moved to another worker (or
// that this worker has closed) must not: it would take partitions from the live consumers and
// hold them, unread, until the idle reaper closed it.
//
// Each client calls the gate where every join passes before its request is sent (for kafkajs, the
// partition assigner's protocol(): see kafkajs/gated-assigner.ts). So the check runs after the
// stall, not before it: however late timers fire after a SIGCONT, no JoinGroup leaves without it.
// Neighbours: sensor-consumer.ts (owns the facts and wires the gate in), consumer-registry.ts
// (closes a consumer the gate retired and tells its sensor).

export interface MembershipFacts {
  now: number;
  /** Last sign the coordinator counts it as a member (a heartbeat or a join); absent before the first join. */
  lastMembershipAt?: number;
  /** The group's session timeout: past it without a heartbeat, the coordinator has dropped the member. */
  sessionTimeoutMs: number;
  /** Last call from its sensor. */
  lastUsedAt: number;
  /** How long the sensor asked this worker to keep the consumer without a call (its lease). */
  leaseMs: number;
}

/**
 * Why a consumer that is still open must not join the group now; undefined when it may. (A closed
 * one never may: its owner checks that first.)
 */
export function reasonNotToRejoin(facts: MembershipFacts): string | undefined {
  const { now, lastMembershipAt, sessionTimeoutMs, lastUsedAt, leaseMs } = facts;
  if (now - lastUsedAt > leaseMs) {
    return (
      `its sensor has not called for ${seconds(now - lastUsedAt)} (lease ${seconds(leaseMs)}): ` +
      'it has moved to another worker or stopped'
    );
  }
  if (lastMembershipAt !== undefined && now - lastMembershipAt > sessionTimeoutMs) {
    // The group went on without it and its sensor may have claimed a consumer elsewhere; if it has
    // not, it is told and claims again, which costs one join, the same as rejoining would.
    return (
      `no heartbeat for ${seconds(now - lastMembershipAt)}, longer than the ${seconds(sessionTimeoutMs)} session ` +
      '(the process was stopped or cut off): the group has dropped it, and its sensor may have moved'
    );
  }
  return undefined;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Starts the message of every RejoinRefusedError (kafkajs wraps the error, keeping the message). */
export const REJOIN_REFUSED = 'not rejoining the consumer group';

/**
 * Thrown from the gate to stop a join. Marked not retriable, so kafkajs gives up on the consumer
 * (it disconnects it and does not restart it) instead of retrying the join.
 */
export class RejoinRefusedError extends Error {
  override readonly name = 'RejoinRefusedError';
  readonly retriable = false;

  constructor(reason: string) {
    super(`${REJOIN_REFUSED}: ${reason}`);
  }
}
