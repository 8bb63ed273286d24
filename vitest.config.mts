import { defineConfig } from 'vitest/config';

// Four projects: `unit` (pure logic, no servers), `integration` (a real Kafka broker and a real
// Temporal server, started by the global setup or reused when already running), `secure` (the same
// over SASL_SSL and mTLS, to a secured broker of its own) and `faults`
// (worker processes killed, servers stopped and restarted mid-stream, against a second pair of
// servers of their own that its global setup starts and stops). Each integration or fault test gets
// its own topics, group, task queues and sink file.
export default defineConfig({
  test: {
    // One test file at a time across all projects: fault tests kill processes and stop servers,
    // and on two cores concurrent files would make each other's timings lie.
    maxWorkers: 1,
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Two cores and two servers beside the tests: one file at a time keeps them honest.
          fileParallelism: false,
          pool: 'forks',
        },
      },
      {
        test: {
          // Connections over SASL_SSL and mTLS to a second, secured broker that its global setup
          // starts once for all of them (`infra.sh up secure`).
          name: 'secure',
          include: ['test/secure/**/*.test.ts'],
          globalSetup: ['test/secure/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/faults/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          // A fault test stops servers the next one needs: strictly one at a time.
          fileParallelism: false,
          pool: 'forks',
        },
      },
    ],
  },
});
