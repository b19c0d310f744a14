import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests import workspace packages from their TypeScript sources ("source" export condition);
    // spawned processes (CLI, daemon) run the built dist/.
    conditions: ['source'],
  },
  ssr: {
    resolve: { conditions: ['source'], externalConditions: ['source'] },
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Clears and, after the run, scans the captured logs for every secret the run used.
    globalSetup: ['test/helpers/global-setup.ts'],
    // Validates every frame tests receive against codegen/generated/protocol.schema.json.
    setupFiles: ['test/setup/frame-schema.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two cores: suites that boot gateways run at most two at a time.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
