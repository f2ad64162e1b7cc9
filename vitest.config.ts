import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'client/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Interop tests start real servers on loopback ports; files run in parallel
    // but each picks its own ports.
    pool: 'forks',
  },
});
