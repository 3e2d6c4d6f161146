import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    setupFiles: ['test/support/setup.ts'],
    // The local cloud sets process.env for the handlers it hosts: one cloud per test file, one file per worker.
    pool: 'forks',
    projects: [
      {
        extends: true,
        // Pure logic and in-process fakes only: seconds, so it can run on every save.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 10_000 },
      },
      {
        extends: true,
        // CDK synthesis (cdk-nag, template assertions, the pinned CLI): correct but slow, so apart from unit.
        test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Every file starts local clouds, which enforce the CDK app's policies: synthesized once, up front.
          globalSetup: ['test/support/warm-iam-cache.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'cli',
          include: ['test/cli/**/*.test.ts'],
          // The real vidp binary as a child process, against a local cloud started in the file.
          testTimeout: 60_000,
          hookTimeout: 60_000,
          globalSetup: ['test/support/warm-iam-cache.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/warm-iam-cache.ts'],
          testTimeout: 240_000,
          hookTimeout: 120_000,
          // Each e2e file runs ffmpeg on both cores; running them side by side only makes each slower.
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/support/warm-iam-cache.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Headless Chromium plus a local cloud that runs ffmpeg: one file at a time on two cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
