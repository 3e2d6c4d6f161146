import { defineConfig } from 'vitest/config';

/**
 * The worker image's tests (`npm run test:image`): they need a Docker engine and the image built by
 * `npm run image`, so they are apart from `npm test`. `.ci/run` runs them when CI_IMAGE_TESTS=1.
 */
export default defineConfig({
  test: {
    setupFiles: ['test/support/setup.ts'],
    pool: 'forks',
    include: ['test/image/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
