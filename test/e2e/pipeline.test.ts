import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApiClient,
  uploadSubtitles,
  uploadVideo,
  waitForFinalStatus,
  type ApiClient,
} from '../../infra/dev-kit/api-client.ts';
import { startLocalCloud, type LocalCloud } from '../../infra/local/cloud.ts';
import { changedShareInBottom, grayFrame, summarizeMedia, topLevelBoxes, type MediaSummary } from '../../infra/dev-kit/media-inspect.ts';
import { makeSampleClip, writeSrt, type SampleCue } from '../../infra/dev-kit/sample-media.ts';
import type { PublicVideo } from '../../functions/core/video.ts';

/**
 * The demo path, asserted: a clip and its subtitles go in through the HTTP API and presigned POSTs, the real
 * state machine runs the real handlers and the real ffmpeg worker, and the MP4 that comes out is checked.
 */
const SOURCE = { seconds: 6, width: 1280, height: 720 };
const CUE: SampleCue = { startSeconds: 1, endSeconds: 3.5, text: 'Ça va? Ñandú — Grüße' };
const EXPECTED = { width: 640, height: 360 }; // 360p box, 16:9 source

let cloud: LocalCloud;
let api: ApiClient;
let workDir: string;
let saved: PublicVideo & { playback_url?: string };
let outputPath: string;
let sourcePath: string;
let output: MediaSummary;

beforeAll(async () => {
  process.env.LOG_LEVEL = 'warn';
  workDir = await mkdtemp(join(tmpdir(), 'vidp-e2e-'));
  cloud = await startLocalCloud({ port: 0, logger: () => {} });
  api = createApiClient(cloud.apiUrl);

  sourcePath = join(workDir, 'source.mp4');
  const subtitlesPath = join(workDir, 'subtitles.srt');
  await Promise.all([makeSampleClip(sourcePath, SOURCE), writeSrt(subtitlesPath, [CUE])]);

  const created = await api.createVideo({
    filename: 'clip.mp4',
    content_type: 'video/mp4',
    size: (await stat(sourcePath)).size,
    resolution: '360p',
    crf: 28,
    preset: 'ultrafast',
    subtitles: { source: 'upload' },
  });
  await uploadSubtitles(created, subtitlesPath);
  await uploadVideo(api, created, sourcePath);
  saved = await waitForFinalStatus(api, created.video.id, { timeoutMs: 120_000 });

  outputPath = join(workDir, 'output.mp4');
  if (saved.playback_url) {
    const response = await fetch(saved.playback_url);
    await writeFile(outputPath, Buffer.from(await response.arrayBuffer()));
    output = await summarizeMedia(outputPath);
  }
});

afterAll(async () => {
  await cloud?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('a video uploaded through the API', () => {
  it('ends saved, with a playback URL', () => {
    expect(saved.error).toBeUndefined();
    expect(saved.status).toBe('saved');
    expect(saved.playback_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  });

  it('comes out as an H.264 + AAC MP4 at the dimensions of the requested box', () => {
    expect(output.formatName).toContain('mp4');
    expect(output.video).toMatchObject({ codec: 'h264', pixFmt: 'yuv420p', ...EXPECTED });
    expect(output.audio?.codec).toBe('aac');
  });

  it('keeps the duration of the input within 0.2 s', async () => {
    const input = await summarizeMedia(sourcePath);
    expect(Math.abs(output.durationSeconds - input.durationSeconds)).toBeLessThanOrEqual(0.2);
  });

  it('is laid out for streaming: moov before mdat', async () => {
    const boxes = await topLevelBoxes(outputPath);
    expect(boxes).toContain('mdat');
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
  });

  it('has the subtitles burned into the picture during the cue, and nothing outside it', async () => {
    const { width, height } = EXPECTED;
    const during = (CUE.startSeconds + CUE.endSeconds) / 2;
    const after = CUE.endSeconds + 1;
    const changedDuring = changedShareInBottom(
      await grayFrame(sourcePath, during, width, height),
      await grayFrame(outputPath, during, width, height),
      width,
      height,
    );
    const changedAfter = changedShareInBottom(
      await grayFrame(sourcePath, after, width, height),
      await grayFrame(outputPath, after, width, height),
      width,
      height,
    );
    expect(changedDuring).toBeGreaterThan(0.005);
    expect(changedAfter).toBeLessThan(0.001);
  });

  it('records duration, file size and resolution of the output on the video', async () => {
    expect(saved.resolution).toBe(`${EXPECTED.width}x${EXPECTED.height}`);
    expect(saved.duration).toBeCloseTo(output.durationSeconds, 2);
    expect(saved.file_size).toBe((await stat(outputPath)).size);
    expect(saved.s3_uri).toBe(`s3://${cloud.bucket}/videos/${saved.id}/video.mp4`);
    expect(saved.progress).toBe(100);
    expect(saved.segment_count, 'a short video is one segment: encoded in one pass').toBe(1);
  });

  it('leaves a succeeded execution whose trace passes every step of the happy path', async () => {
    const name = saved.execution_id?.split(':').pop() ?? '';
    const execution = await cloud.executions.waitFor(name);
    expect(execution.status).toBe('SUCCEEDED');
    const exited = execution.trace.filter((entry) => entry.type === 'StateExited').map((entry) => entry.state);
    expect(exited).toEqual([
      'ReadUploadEvent',
      'ClaimJob',
      'PrepareSubtitles',
      'Transcode',
      // A short video: encoded in one pass, not planned as segments.
      'IsSegmented',
      'RecordResult',
      'CleanUpTemp',
      'PublishVideoSaved',
      'VideoSaved',
    ]);
  });

  it('keeps the history of the job on the record: its execution, the timeline of statuses, timings and cost', () => {
    expect(saved.execution_id).toMatch(/^arn:aws:states:.*:execution:/);
    expect(saved.timeline?.map((entry) => entry.status)).toEqual(['awaiting_upload', 'queued', 'processing', 'saved']);
    const times = saved.timeline!.map((entry) => Date.parse(entry.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(saved.timeline?.[1]?.execution_id).toBe(saved.execution_id);
    expect(saved.timings?.encode_ms).toBeGreaterThan(0);
    expect(saved.cost).toMatchObject({ vcpu: 2, memory_gb: 4, billed_seconds: 60 });
    expect(saved.cost?.estimated_usd).toBeGreaterThan(0);
  });

  it('stores the subtitles as SRT and WebVTT sidecars next to the MP4, listed on the record', () => {
    expect(saved.subtitle_files).toEqual({
      srt: `s3://${cloud.bucket}/videos/${saved.id}/subtitles.srt`,
      vtt: `s3://${cloud.bucket}/videos/${saved.id}/subtitles.vtt`,
    });
  });

  it('publishes VideoSaved for other services', async () => {
    const event = await cloud.events.waitFor((candidate) => (candidate.detail as { video_id?: string }).video_id === saved.id);
    expect(event).toMatchObject({
      'detail-type': 'VideoSaved',
      source: 'vidp.pipeline',
      detail: { video_id: saved.id, status: 'saved', s3_uri: saved.s3_uri, resolution: saved.resolution },
    });
    const listed = (await (await fetch(`${cloud.gatewayUrl}/_local/events`)).json()) as { id: string }[];
    expect(listed.map((entry) => entry.id)).toContain(event.id);
  });
});
