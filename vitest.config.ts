import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Suites share one PostgreSQL and one Redis; each isolates itself by schema or key prefix.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
