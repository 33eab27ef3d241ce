import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The end-to-end files each start their own upstream heylook processes; one file at a
    // time keeps the 2-core CI machine from timing out.
    fileParallelism: false,
  },
});
