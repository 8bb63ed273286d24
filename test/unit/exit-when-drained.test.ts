// A stopped worker that cannot exit by itself says what held it (src/workers/exit-when-drained.ts);
// the exit itself is tested with a real worker process in test/faults/worker-exit.test.ts.

import { describe, expect, it } from 'vitest';
import { describeHeldResources } from '../../src/workers/exit-when-drained';

describe('naming what holds a stopped worker', () => {
  it('counts each kind and names the peers of open sockets', () => {
    const sockets = [
      { constructor: { name: 'Socket' }, remoteAddress: '127.0.0.1', remotePort: 9092 },
      { constructor: { name: 'Socket' }, remoteAddress: '127.0.0.1', remotePort: 9092 },
      { constructor: { name: 'Server' } },
    ];
    expect(
      describeHeldResources(['TCPSocketWrap', 'TCPSocketWrap', 'Timeout', 'TCPServerWrap', 'Timeout'], sockets),
    ).toBe('TCPSocketWrap x2, Timeout x2, TCPServerWrap; sockets to 127.0.0.1:9092 x2');
  });

  it('says so when nothing is listed', () => {
    expect(describeHeldResources([])).toBe('nothing');
  });
});
