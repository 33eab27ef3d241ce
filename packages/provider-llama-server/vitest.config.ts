import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The tests share one machine with a real llama-server child per suite; run files one at a time.
    fileParallelism: false,
  },
});
