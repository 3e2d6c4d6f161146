import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PublicVideo } from '../../functions/core/video.ts';
import {
  expectCleanEnd,
  finalStatus,
  keysUnder,
  ONE_CUE_SRT,
  sampleClip,
  startHarness,
  submitVideo,
  transcodeAttempts,
  writeTemp,
  type Harness,
} from '../support/workflow-harness.ts';

/**
 * One upload, one transcode: a second delivery of the same S3 event ends at the claim without touching the
 * record, and status only moves forward, also when many videos run at once.
 */
let harness: Harness;
let clip: string;
let subtitles: string;

beforeAll(async () => {
  harness = await startHarness();
  clip = await sampleClip(harness, 'clip.mp4', { seconds: 1, width: 192, height: 108 });
  subtitles = await writeTemp(harness, 'one.srt', ONE_CUE_SRT);
});

afterAll(async () => {
  await harness?.stop();
});

describe('the same S3 event delivered twice', () => {
  it('transcodes once; the second execution ends as a duplicate, while the first runs and after it saved, leaving the record as it was', async () => {
    const video = await submitVideo(harness, { source: clip, subtitles });
    const [first] = await vi.waitUntil(
      () => {
        const started = harness.cloud.executions.list().filter((execution) => inputKey(execution.input) === video.sourceKey);
        return started.length > 0 && started;
      },
      { timeout: 5_000, interval: 10 },
    );
    // EventBridge delivers at least once: the very same event again, while the first execution works…
    const whileRunning = harness.cloud.executions.start(first!.input);
    const saved = await finalStatus(harness, video);
    // …and once more after the video is saved.
    const afterSaved = harness.cloud.executions.start(first!.input);
    const duplicates = await Promise.all([whileRunning, afterSaved].map((name) => harness.cloud.executions.waitFor(name)));

    expect(duplicates.map((duplicate) => duplicate.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const executions = await expectCleanEnd(harness, video, saved, { status: 'saved' });
    expect(executions).toHaveLength(3);
    // Whichever claimed first did the work; the other two stopped at the claim.
    const stoppedAtClaim = executions.filter(
      (execution) =>
        execution.trace.filter((entry) => entry.type === 'StateEntered').map((entry) => entry.state).join() ===
        'ReadUploadEvent,ClaimJob,FindUnclaimedRecord,IsUploadOrphaned,IgnoreDuplicateUpload',
    );
    expect(stoppedAtClaim).toHaveLength(2);
    // A duplicate of a video that exists keeps its upload: only an upload no record waits for is removed.
    expect(await keysUnder(harness, `uploads/${video.id}/`)).toContain(video.sourceKey);
    expect(transcodeAttempts(executions)).toBe(1);
    expect(withoutUrl(await harness.api.getVideo(video.id))).toEqual(withoutUrl(saved));
    expect(saved.timeline?.map((entry) => entry.status)).toEqual(['awaiting_upload', 'queued', 'processing', 'saved']);
    expect(harness.cloud.events.list().filter((event) => (event.detail as { video_id?: string }).video_id === video.id)).toHaveLength(1);
  });
});

describe('status only moves forward', () => {
  it('a failure reported late for a saved video changes nothing', async () => {
    const video = await submitVideo(harness, { source: clip, subtitles });
    const saved = await finalStatus(harness, video);
    const result = await harness.cloud.invokeFunction('functions/pipeline/mark-failed.ts', {
      videoId: video.id,
      executionId: saved.execution_id,
      error: { Error: 'States.HeartbeatTimeout', Cause: 'a zombie worker' },
    });

    expect(result).toMatchObject({ recorded: false });
    expect(withoutUrl(await harness.api.getVideo(video.id))).toEqual(withoutUrl(saved));
  });
});

describe('twenty uploads at once', () => {
  it('are all saved, each once, each with its own output and record', async () => {
    const videos = await Promise.all(Array.from({ length: 20 }, () => submitVideo(harness, { source: clip, subtitles })));

    const finals: PublicVideo[] = await Promise.all(videos.map((video) => finalStatus(harness, video, 90_000)));

    for (const [index, video] of videos.entries()) {
      const executions = await expectCleanEnd(harness, video, finals[index]!, { status: 'saved' });
      expect(transcodeAttempts(executions)).toBe(1);
    }
    expect(new Set(finals.map((final) => final.s3_uri)).size).toBe(20);
    const outputs = await keysUnder(harness, 'videos/');
    for (const video of videos) expect(outputs).toContain(`videos/${video.id}/video.mp4`);
  });
});

/** The record as stored: the playback and subtitle URLs are signed anew on every GET. */
function withoutUrl(video: PublicVideo) {
  const { playback_url: _url, subtitle_urls: _subtitleUrls, ...record } = video;
  return record;
}

function inputKey(input: unknown): unknown {
  return (input as { detail?: { object?: { key?: unknown } } }).detail?.object?.key;
}
