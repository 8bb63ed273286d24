// The rejoin gate (../rejoin-gate.ts) in kafkajs: the partition assigner's protocol(), which kafkajs
// calls to build each JoinGroup request, its own rejoins and restarts included.

import type { PartitionAssigner } from 'kafkajs';

/**
 * `inner`, with `check` run before kafkajs builds each JoinGroup request; `check` throws
 * RejoinRefusedError to stop the join. Assignment itself is unchanged.
 */
export function gatedAssigner(inner: PartitionAssigner, check: () => void): PartitionAssigner {
  return (config) => {
    const assigner = inner(config);
    return {
      name: assigner.name,
      version: assigner.version,
      assign: (group) => assigner.assign(group),
      protocol: (subscription) => {
        check();
        return assigner.protocol(subscription);
      },
    };
  };
}
