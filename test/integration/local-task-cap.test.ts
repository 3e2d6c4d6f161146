import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalStatus, ONE_CUE_SRT, sampleClip, startHarness, submitVideo, writeTemp, type Harness } from '../support/workflow-harness.ts';

/**
 * LOCAL_MAX_TASKS through the real state machine and worker: uploads past the cap wait their turn, their
 * videos `queued` until a worker starts on them, and all of them end saved.
 */
const CAP = 1;
const UPLOADS = 3;
let harness: Harness;
const log: string[] = [];

beforeAll(async () => {
  harness = await startHarness({ maxTasks: CAP, log: (line) => log.push(line) });
});

afterAll(async () => {
  await harness.stop();
});

/** The most workers the log shows running at once: each "started:" opens one, each "exited with" closes one. */
function mostWorkersAtOnce(lines: readonly string[]): number {
  let running = 0;
  let most = 0;
  for (const line of lines) {
    if (/^\[worker [^\]]+\] started: /.test(line)) most = Math.max(most, ++running);
    if (/^\[worker [^\]]+\] exited with /.test(line)) running -= 1;
  }
  return most;
}

describe(`${UPLOADS} uploads at once with LOCAL_MAX_TASKS=${CAP}`, () => {
  it('run one worker at a time, each video queued until its worker starts, and all end saved', async () => {
    const clip = await sampleClip(harness, 'clip.mp4', { seconds: 1, width: 160, height: 120 });
    const subtitles = await writeTemp(harness, 'one.srt', ONE_CUE_SRT);

    const videos = await Promise.all(Array.from({ length: UPLOADS }, () => submitVideo(harness, { source: clip, subtitles })));
    const finals = await Promise.all(videos.map((video) => finalStatus(harness, video, 90_000)));

    expect(finals.map((video) => video.status)).toEqual(Array(UPLOADS).fill('saved'));
    for (const video of finals) {
      expect(video.timeline?.map((entry) => entry.status)).toEqual(['awaiting_upload', 'queued', 'processing', 'saved']);
    }
    expect(log.filter((line) => / queued: \d+ task\(s\) running, the cap \(LOCAL_MAX_TASKS\) is 1/.test(line)).length).toBeGreaterThan(0);
    expect(mostWorkersAtOnce(log)).toBe(CAP);
  }, 120_000);
});
