import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCleanEnd, finalStatus, startFaultyWorkerHarness, submitVideo, transcodeAttempts } from '../support/workflow-harness.ts';

/**
 * A hung encode ends as `timeout` without retry. The stall timeout is short (4 s) in this file only: a
 * short one for every test would fail slow but healthy encodes on a busy machine. The worker runs a real
 * ffmpeg behind a wrapper that hangs for the video the test names (see faultyFfmpeg).
 */
let setup: Awaited<ReturnType<typeof startFaultyWorkerHarness>>;

beforeAll(async () => {
  setup = await startFaultyWorkerHarness({ workerEnv: { STALL_TIMEOUT_SECONDS: '4' }, clip: { seconds: 2, width: 320, height: 240 } });
});

afterAll(async () => {
  await setup?.stop();
});

describe('a hung encode', () => {
  it('ends failed with timeout, not retried and never left in processing', async () => {
    const { harness, faults, clip, subtitles } = setup;
    const video = await submitVideo(harness, { source: clip, subtitles, beforeUpload: (id) => faults.inject(id, 'hang') });

    const final = await finalStatus(harness, video);

    const executions = await expectCleanEnd(harness, video, final, { status: 'failed', code: 'timeout' });
    expect(final.error?.message).toBe('Encoding made no progress for 4 s and was stopped');
    expect(transcodeAttempts(executions)).toBe(1);
  });
});
