import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { waitForFinalStatus } from '../../infra/dev-kit/api-client.ts';
import {
  expectCleanEnd,
  finalStatus,
  startFaultyWorkerHarness,
  submitVideo,
  transcodeAttempts,
  type Harness,
} from '../support/workflow-harness.ts';

/**
 * Transient failures of the Transcode task are retried twice with backoff (no waits here); a hung encode
 * (workflow-stall.test.ts) ends as `timeout` without retry. The worker runs a real ffmpeg behind a wrapper
 * that misbehaves for the videos a test names (see faultyFfmpeg), and the local S3 fails on request.
 */
let setup: Awaited<ReturnType<typeof startFaultyWorkerHarness>>;
let harness: Harness;
let faults: typeof setup.faults;
let clip: string;
let subtitles: string;

beforeAll(async () => {
  // Long enough that the worker is still encoding when it is killed.
  setup = await startFaultyWorkerHarness({ workerEnv: { HEARTBEAT_INTERVAL_SECONDS: '1' }, clip: { seconds: 6, width: 640, height: 360 } });
  ({ harness, faults, clip, subtitles } = setup);
});

afterAll(async () => {
  await setup?.stop();
});

const failuresOf = (executions: Awaited<ReturnType<typeof expectCleanEnd>>) =>
  executions.flatMap((execution) => execution.trace).filter((entry) => entry.state === 'Transcode' && entry.type === 'StateFailed');

describe.concurrent('transient worker failures are retried', () => {
  it('a worker killed mid-encode: the task is run again and the video is saved once', async () => {
    const video = await submitVideo(harness, { source: clip, subtitles, beforeUpload: (id) => faults.inject(id, 'kill-worker-once') });

    const final = await finalStatus(harness, video);

    const executions = await expectCleanEnd(harness, video, final, { status: 'saved' });
    expect(transcodeAttempts(executions)).toBe(2);
    expect(failuresOf(executions).map((entry) => entry.error)).toEqual(['States.HeartbeatTimeout']);
    // Each attempt's worker moves the record to processing as it starts: two attempts, two entries.
    expect(final.timeline?.map((entry) => entry.status)).toEqual(['awaiting_upload', 'queued', 'processing', 'processing', 'saved']);
  });

  it('S3 answering 503 to the output upload, past the SDK\'s own retries: the task is run again', async () => {
    const video = await submitVideo(harness, {
      source: clip,
      subtitles,
      beforeUpload: async (id) =>
        harness.cloud.injectS3Fault({ method: 'PUT', key: new RegExp(`^videos/${id}/video\\.mp4$`), status: 503, times: 3 }),
    });

    const final = await finalStatus(harness, video);

    const executions = await expectCleanEnd(harness, video, final, { status: 'saved' });
    expect(transcodeAttempts(executions)).toBe(2);
    expect(failuresOf(executions).map((entry) => entry.error)).toEqual(['StorageUnavailableError']);
  });

  it('a worker that dies on every attempt: retried twice, then failed with timeout', async () => {
    const video = await submitVideo(harness, { source: clip, subtitles, beforeUpload: (id) => faults.inject(id, 'kill-worker') });

    const final = await finalStatus(harness, video);

    const executions = await expectCleanEnd(harness, video, final, { status: 'failed', code: 'timeout' });
    expect(transcodeAttempts(executions)).toBe(3);
    expect(final.error?.message).toMatch(/stopped responding/);
  });
});

describe('progress', () => {
  it('GET /api/videos/{id} shows a percentage while the video is processing', async () => {
    const video = await submitVideo(harness, { source: clip, subtitles, beforeUpload: (id) => faults.inject(id, 'hold-progress') });

    // The encode's first report past the start stays the last the worker has seen until it is released.
    const processing = await vi.waitUntil(
      async () => {
        const current = await harness.api.getVideo(video.id);
        return current.status === 'processing' && (current.progress ?? 0) > 0 && current;
      },
      { timeout: 30_000, interval: 100 },
    );
    await faults.release(video.id);
    const seen = [processing.progress ?? 0];
    const final = await waitForFinalStatus(harness.api, video.id, {
      timeoutMs: 45_000,
      intervalMs: 100,
      onChange: (current) => {
        if (current.progress !== undefined) seen.push(current.progress);
      },
    });

    expect(processing.progress).toBeLessThan(100);
    expect(final.status).toBe('saved');
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(final.progress).toBe(100);
  });
});
