import { defineConfig } from 'vitest/config';

export default defineConfig({
  // `tollgate/...` imports (the examples) resolve to the sources through tsconfig.json's paths.
  resolve: { tsconfigPaths: true },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Suites share one PostgreSQL and one Redis; each isolates itself by schema or key prefix.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
