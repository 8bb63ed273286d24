import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, no servers) and `integration` (a real Kafka broker and a real
// Temporal server, started by the global setup or reused when already running). Each integration
// test gets its own topics, group, task queues and sink file.
export default defineConfig({
  test: {
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
    ],
  },
});
