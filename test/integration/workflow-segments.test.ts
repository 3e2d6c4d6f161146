import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { waitForFinalStatus } from '../../infra/dev-kit/api-client.ts';
import { SPOT_INTERRUPTION_REASON } from '../../infra/local/ecs/capacity-providers.ts';
import { expectCleanEnd, finalStatus, startFaultyWorkerHarness, submitVideo, type Harness } from '../support/workflow-harness.ts';

const run = promisify(execFile);

/**
 * A long video through the real state machine and worker as parallel segments: the planner (Transcode)
 * cuts it at keyframes, EncodeSegments runs one task per segment and one for the audio on the local ECS,
 * JoinSegments makes the MP4. PARALLEL_MIN_SECONDS and SEGMENT_SECONDS are shrunk so that a 12 s clip with
 * a keyframe every second is cut in four.
 */
type Setup = Awaited<ReturnType<typeof startFaultyWorkerHarness>>;
const CLIP = { seconds: 12, width: 320, height: 240, keyframeEverySeconds: 1 };
const SEGMENTING = { PARALLEL_MIN_SECONDS: '6', SEGMENT_SECONDS: '3', SEGMENT_MAX_CONCURRENCY: '5' };

let setup: Setup;
beforeAll(async () => {
  setup = await startFaultyWorkerHarness({ workerEnv: SEGMENTING, clip: CLIP, cloud: { maxTasks: 6 } });
});
afterAll(async () => {
  await setup?.stop();
});

/** The saved MP4's video frames, counted by decoding it. */
async function outputFrames(harness: Harness, videoId: string): Promise<number> {
  const { Body } = await harness.s3.send(new GetObjectCommand({ Bucket: harness.cloud.bucket, Key: `videos/${videoId}/video.mp4` }));
  const file = join(harness.workDir, `${videoId}.mp4`);
  await writeFile(file, await Body!.transformToByteArray());
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]);
  return Number(stdout.trim());
}

const tasksOf = (harness: Harness, videoId: string) => harness.cloud.ecsTasks().filter((task) => task.label.split('/')[0] === videoId);

describe('a video longer than PARALLEL_MIN_SECONDS', () => {
  it('is encoded as parallel segments and joined into one MP4 as long as its source, priced for every task', async () => {
    const { harness, clip, subtitles } = setup;
    const video = await submitVideo(harness, { source: clip, subtitles });
    const final = await finalStatus(harness, video, 90_000);

    const executions = await expectCleanEnd(harness, video, final, { status: 'saved' });
    expect(final.segment_count).toBe(4);
    expect(final.progress).toBe(100);
    const entered = executions[0]!.trace.filter((entry) => entry.type === 'StateEntered').map((entry) => entry.state);
    expect(entered.filter((state) => state === 'EncodeSegment')).toHaveLength(5);
    expect(entered).toEqual(expect.arrayContaining(['Transcode', 'IsSegmented', 'EncodeSegments', 'JoinSegments', 'RecordResult']));
    // The planner, four segments and the audio (on Spot, the deploy's first capacity), the join on demand.
    const labels = tasksOf(harness, video.id).map((task) => `${task.label.split('/')[1] ?? 'planner'}:${task.capacityProvider}`);
    expect(labels.toSorted()).toEqual(
      ['planner', 'audio', 'v000', 'v001', 'v002', 'v003'].map((part) => `${part}:FARGATE_SPOT`).concat('join:FARGATE').toSorted(),
    );
    // Every task is billed (at least a minute each): seven of them.
    expect(final.cost?.billed_seconds).toBeGreaterThanOrEqual(7 * 60);
    expect(final.duration).toBeCloseTo(CLIP.seconds, 1);
    expect(await outputFrames(harness, video.id)).toBe(CLIP.seconds * 25);
  });
});

const VIDEO_SEGMENTS = ['v000', 'v001', 'v002', 'v003'];

/** Resolves once the `hold-progress` encode of this part is held (faultyFfmpeg's release fifo exists). */
async function held(faultyFfmpegPath: string, videoId: string, part: string): Promise<void> {
  const releaseFifo = join(dirname(faultyFfmpegPath), 'faults', `${videoId}-${part}.release`);
  await vi.waitUntil(() => existsSync(releaseFifo), { timeout: 60_000, interval: 50 });
}

describe('each segment on its own', () => {
  it('a Spot interruption of one segment runs that segment alone again, on FARGATE', async () => {
    const { harness, faults, clip, subtitles } = setup;
    const video = await submitVideo(harness, { source: clip, subtitles, beforeUpload: (id) => faults.inject(`${id}-v001`, 'hold-progress') });
    await held(faults.path, video.id, 'v001');

    harness.cloud.interruptSpotTask(`${video.id}/v001`);
    const final = await finalStatus(harness, video, 90_000);

    const executions = await expectCleanEnd(harness, video, final, { status: 'saved' });
    const runs = (part: string) => tasksOf(harness, video.id).filter((task) => task.label === `${video.id}/${part}`);
    expect(runs('v001').map(({ capacityProvider, stoppedReason }) => ({ capacityProvider, stoppedReason }))).toEqual([
      { capacityProvider: 'FARGATE_SPOT', stoppedReason: SPOT_INTERRUPTION_REASON },
      { capacityProvider: 'FARGATE', stoppedReason: undefined },
    ]);
    for (const part of ['audio', 'v000', 'v002', 'v003']) expect(runs(part), `${part} ran once`).toHaveLength(1);
    const entered = executions[0]!.trace.filter((entry) => entry.type === 'StateEntered').map((entry) => entry.state);
    expect(entered.filter((state) => state === 'SegmentFallBackToOnDemand')).toHaveLength(1);
    expect(await outputFrames(harness, video.id)).toBe(CLIP.seconds * 25);
  });

  it('progress counts every segment: it moves while they encode and is 100 once the video is saved', async () => {
    const { harness, faults, clip, subtitles } = setup;
    const video = await submitVideo(harness, {
      source: clip,
      subtitles,
      beforeUpload: async (id) => {
        for (const part of VIDEO_SEGMENTS) await faults.inject(`${id}-${part}`, 'hold-progress');
      },
    });
    for (const part of VIDEO_SEGMENTS) await held(faults.path, video.id, part);
    const whileHeld = await vi.waitUntil(
      async () => {
        const current = await harness.api.getVideo(video.id);
        return (current.progress ?? 0) > 0 && current;
      },
      { timeout: 30_000, interval: 100 },
    );
    expect(whileHeld.status).toBe('processing');
    expect(whileHeld.segment_count).toBe(4);

    const seen = [whileHeld.progress!];
    for (const part of VIDEO_SEGMENTS) await faults.release(`${video.id}-${part}`);
    const final = await waitForFinalStatus(harness.api, video.id, {
      timeoutMs: 90_000,
      intervalMs: 100,
      onChange: (current) => {
        if (current.progress !== undefined) seen.push(current.progress);
      },
    });

    expect(final.status).toBe('saved');
    expect(seen.slice(0, -1).every((progress) => progress < 100), 'below 100 until saved').toBe(true);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(final.progress).toBe(100);
  });

  it('DELETE while the segments encode stops every one of their tasks at once', async () => {
    const { harness, faults, clip, subtitles } = setup;
    const video = await submitVideo(harness, {
      source: clip,
      subtitles,
      beforeUpload: async (id) => {
        for (const part of VIDEO_SEGMENTS) await faults.inject(`${id}-${part}`, 'hold-progress');
      },
    });
    for (const part of VIDEO_SEGMENTS) await held(faults.path, video.id, part);

    expect((await fetch(`${harness.cloud.apiUrl}/videos/${video.id}`, { method: 'DELETE' })).status).toBe(204);

    // Far sooner than a heartbeat (30 s) would tell the workers: StopTask reached each segment's task.
    const stopped = await vi.waitUntil(
      () => {
        const segments = tasksOf(harness, video.id).filter((task) => VIDEO_SEGMENTS.some((part) => task.label === `${video.id}/${part}`));
        return segments.length === VIDEO_SEGMENTS.length && segments.every((task) => task.stoppedAt !== undefined) && segments;
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(stopped.map((task) => task.stoppedReason)).toEqual(VIDEO_SEGMENTS.map(() => expect.stringMatching(/deleted/)));
    expect(tasksOf(harness, video.id).some((task) => task.label === `${video.id}/join`), 'no join after a delete').toBe(false);
    expect((await fetch(`${harness.cloud.apiUrl}/videos/${video.id}`)).status).toBe(404);
  });
});
