import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectCleanEnd,
  faultyFfmpeg,
  finalStatus,
  ONE_CUE_SRT,
  sampleClip,
  startHarness,
  submitVideo,
  transcodeAttempts,
  writeTemp,
  type Harness,
} from '../support/workflow-harness.ts';

/**
 * A hung encode ends as `timeout` without retry. The stall timeout is short (4 s) in this file only: a
 * short one for every test would fail slow but healthy encodes on a busy machine. The worker runs a real
 * ffmpeg behind a wrapper that hangs for the video the test names (see faultyFfmpeg).
 */
let harness: Harness;
let faults: Awaited<ReturnType<typeof faultyFfmpeg>>;
let clip: string;
let subtitles: string;

beforeAll(async () => {
  faults = await faultyFfmpeg();
  harness = await startHarness({ workerEnv: { FFMPEG_PATH: faults.path, STALL_TIMEOUT_SECONDS: '4', PROGRESS_INTERVAL_SECONDS: '0' } });
  clip = await sampleClip(harness, 'clip.mp4', { seconds: 2, width: 320, height: 240 });
  subtitles = await writeTemp(harness, 'one.srt', ONE_CUE_SRT);
});

afterAll(async () => {
  await harness?.stop();
  await faults?.remove();
});

describe('a hung encode', () => {
  it('ends failed with timeout, not retried and never left in processing', async () => {
    const video = await submitVideo(harness, { source: clip, subtitles, beforeUpload: (id) => faults.inject(id, 'hang') });

    const final = await finalStatus(harness, video);

    const executions = await expectCleanEnd(harness, video, final, { status: 'failed', code: 'timeout' });
    expect(final.error?.message).toBe('Encoding made no progress for 4 s and was stopped');
    expect(transcodeAttempts(executions)).toBe(1);
  });
});
