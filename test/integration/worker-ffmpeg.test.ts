import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTranscodeArgs, displayDimensions } from '../../containers/ffmpeg/src/ffmpeg-command.ts';
import { probe } from '../../containers/ffmpeg/src/probe.ts';
import { writeBurnInScript } from '../../infra/dev-kit/sample-media.ts';
import {
  arrangeCloud,
  reportedFailure,
  reportedOutput,
  runJob,
  s3Mock,
  SYSTEM_FONTS_DIR,
  uploaded,
  type JobRun,
} from '../support/transcode-job.ts';

/**
 * The worker with the real ffmpeg and ffprobe (AWS still mocked): what comes out of a job is checked the
 * way a viewer would see it, and what ffprobe and libass make of awkward inputs.
 */
const fixtures = mkdtempSync(join(tmpdir(), 'vidp-worker-ffmpeg-'));
const files = {
  /** Black picture, so any bright pixel in the output comes from the burnt-in subtitles. */
  clip: join(fixtures, 'clip.mp4'),
  videoOnly: join(fixtures, 'video-only.mp4'),
  /** What a phone writes for portrait video: landscape pixels plus a display rotation. */
  rotated: join(fixtures, 'rotated.mp4'),
  audioOnly: join(fixtures, 'audio-only.m4a'),
  textFile: join(fixtures, 'not-a-video.mp4'),
  /** The first half of a fast-start MP4: its index promises 2 s, its data stops after about one. */
  truncated: join(fixtures, 'truncated.mp4'),
  subtitles: join(fixtures, 'subtitles.srt'),
  fontOnlyDir: join(fixtures, 'only-dejavu'),
  emptyFontconfig: join(fixtures, 'empty-fonts.conf'),
};

function ffmpeg(...args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args]);
}

beforeAll(() => {
  ffmpeg(
    ...['-f', 'lavfi', '-i', 'color=c=black:size=640x480:rate=25:duration=2'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'],
    files.clip,
  );
  ffmpeg('-i', files.clip, '-an', '-c', 'copy', files.videoOnly);
  // FFmpeg 5.1 turns the rotate tag into the display matrix when stream-copying into MP4.
  ffmpeg('-i', files.videoOnly, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', files.rotated);
  ffmpeg('-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', files.audioOnly);
  writeFileSync(files.textFile, 'This is a text file with a video extension.\n');
  ffmpeg('-i', files.clip, '-c', 'copy', '-movflags', '+faststart', join(fixtures, 'faststart.mp4'));
  const whole = readFileSync(join(fixtures, 'faststart.mp4'));
  writeFileSync(files.truncated, whole.subarray(0, Math.floor(whole.length / 2)));
  writeFileSync(files.subtitles, '1\n00:00:00,000 --> 00:00:02,000\nHello from vidp\n');
  mkdirSync(files.fontOnlyDir);
  copyFileSync(join(SYSTEM_FONTS_DIR, 'DejaVuSans.ttf'), join(files.fontOnlyDir, 'DejaVuSans.ttf'));
  // A fontconfig that knows no fonts: what a container without fonts looks like to libass.
  writeFileSync(
    files.emptyFontconfig,
    `<?xml version="1.0"?><fontconfig><dir>${join(fixtures, 'no-fonts')}</dir><cachedir>${join(fixtures, 'fc-cache')}</cachedir></fontconfig>`,
  );
});

afterAll(() => rmSync(fixtures, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

describe('a 2-second 640x480 clip with subtitles, into the 360p box', () => {
  let result: JobRun;
  let video: string;
  beforeAll(async () => {
    arrangeCloud(files.subtitles);
    result = await runJob(fixtures, files.clip);
    video = join(fixtures, 'uploaded.mp4');
    writeFileSync(video, uploaded('videos/video-1/video.mp4')?.body as Uint8Array);
  });

  it('reports success with the output as it was uploaded', () => {
    expect(result.outcome).toBe('succeeded');
    const output = reportedOutput();
    expect(output).toMatchObject({ width: 480, height: 360, resolution: '480x360', file_size: readFileSync(video).byteLength });
    expect(output.duration).toBeCloseTo(2, 1);
  });

  it('uploads a 480x360 H.264/AAC MP4', () => {
    const streams = execFileSync(
      'ffprobe',
      ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', video],
      { encoding: 'utf8' },
    );
    expect(streams.trim().split('\n')).toEqual(['h264,480,360', 'aac']);
  });

  it('burns the subtitles into the picture', () => {
    // The source is pure black (luma 16): white text is the only thing that can brighten a frame.
    const stats = execFileSync(
      'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-ss', '1', '-i', video, '-frames:v', '1'],
        ...['-vf', 'signalstats,metadata=print:key=lavfi.signalstats.YMAX:file=-', '-f', 'null', '-'],
      ],
      { encoding: 'utf8' },
    );
    const brightestLuma = Number(/YMAX=(\d+)/.exec(stats)?.[1]);
    expect(brightestLuma).toBeGreaterThan(200);
  });
});

describe('inputs the real ffmpeg refuses', () => {
  it('reports InputInvalidError for a truncated MP4 whose index promises more than it holds, and uploads nothing', async () => {
    arrangeCloud(files.subtitles);

    const { outcome } = await runJob(fixtures, files.truncated);

    expect(outcome).toBe('failed');
    expect(reportedFailure()).toMatchObject({
      error: 'InputInvalidError',
      cause: { code: 'input_invalid', message: expect.stringMatching(/^The uploaded video is damaged or truncated: it could not be decoded past 0:0\d of 0:02$/) },
    });
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('reports InputInvalidError with ffprobe\'s reason for a text file named .mp4', async () => {
    arrangeCloud(files.subtitles);

    await runJob(fixtures, files.textFile);

    expect(reportedFailure()).toEqual({
      error: 'InputInvalidError',
      cause: { code: 'input_invalid', message: 'The uploaded file could not be read as a video (Invalid data found when processing input)' },
    });
  });

  it('reports WorkerMisconfiguredError when libass finds no font while ffmpeg runs, instead of shipping a video without subtitles', async () => {
    arrangeCloud(files.subtitles);
    vi.stubEnv('FONTCONFIG_FILE', files.emptyFontconfig);

    const { outcome, logs } = await runJob(fixtures, files.clip, { job: { fontsDir: files.fontOnlyDir, fontName: 'No Such Font' } });

    expect(outcome).toBe('failed');
    expect(reportedFailure()).toMatchObject({ error: 'WorkerMisconfiguredError', cause: { code: 'worker_misconfigured' } });
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'ERROR', font: '(No Such Font, 400, 0)' }));
  });
});

describe('probe with the real ffprobe', () => {
  const options = { ffprobePath: 'ffprobe', timeoutMs: 30_000, signal: new AbortController().signal };

  it('reads duration, video stream and audio presence of a clip with sound', async () => {
    const probed = await probe(files.clip, 'source', options);

    expect(probed.durationSeconds).toBeCloseTo(2, 1);
    expect(probed.video).toEqual({
      width: 640,
      height: 480,
      rotation: 0,
      sampleAspectRatio: 1,
      pixFmt: 'yuv420p',
      codec: 'h264',
      frameRate: { base: 25, average: 25 },
      index: 0,
      startSeconds: 0,
      fieldOrder: 'progressive',
      color: { range: undefined, space: undefined, primaries: undefined, transfer: undefined },
    });
    expect(probed.startSeconds).toBe(0);
    expect(probed.hasAudio).toBe(true);
    expect(probed.audio).toEqual([expect.objectContaining({ index: 1, codec: 'aac', channels: 1, isDefault: true })]);
  });

  it('finds no audio in a video-only clip', async () => {
    const probed = await probe(files.videoOnly, 'source', options);

    expect(probed.video).toMatchObject({ width: 640, height: 480 });
    expect(probed.hasAudio).toBe(false);
  });

  it('reads the display rotation, which swaps the displayed width and height', async () => {
    const probed = await probe(files.rotated, 'source', options);

    expect(probed.video).toMatchObject({ width: 640, height: 480 });
    expect([90, 270]).toContain(probed.video.rotation);
    expect(displayDimensions(probed.video)).toEqual({ width: 480, height: 640 });
  });

  it('refuses an audio file as an upload with no video stream', async () => {
    await expect(probe(files.audioOnly, 'source', options)).rejects.toMatchObject({
      name: 'InputInvalidError',
      message: 'The uploaded file has no video stream',
    });
  });

  it('blames the encode, not the upload, for an output it cannot read', async () => {
    await expect(probe(files.textFile, 'output', options)).rejects.toMatchObject({ name: 'TranscodeFailedError' });
  });
});

describe('filter values escaped for the real ffmpeg', () => {
  it('delivers paths with quotes, colons, backslashes, brackets, commas and spaces to the burn-in filter intact', async () => {
    // libass logs each file it loads from fontsdir: the log shows the path exactly as ffmpeg understood it.
    const awkwardDir = join(fixtures, "it's: [a], b;c\\d  ");
    mkdirSync(join(awkwardDir, 'fonts'), { recursive: true });
    copyFileSync(join(SYSTEM_FONTS_DIR, 'DejaVuSans.ttf'), join(awkwardDir, 'fonts', 'DejaVuSans.ttf'));
    const subtitles = join(awkwardDir, "sub's:1.ass");
    await writeBurnInScript(subtitles, [{ startSeconds: 0, endSeconds: 1, text: 'Hello' }]);

    const args = buildTranscodeArgs({
      inputPath: 'testsrc2=size=64x48:duration=0.2',
      outputPath: '-',
      subtitlesPath: subtitles,
      fontsDir: join(awkwardDir, 'fonts'),
      width: 64,
      height: 48,
      crf: 23,
      preset: 'ultrafast',
      hasAudio: false,
    });
    const run = spawnSync('ffmpeg', [...args.slice(0, 3), '-f', 'lavfi', ...args.slice(3, -1), '-f', 'null', '-'], {
      encoding: 'utf8',
    });

    // Exit 0: the ass filter opened its file (it fails the run when it cannot).
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain(`Loading font file '${join(awkwardDir, 'fonts', 'DejaVuSans.ttf')}'`);
  });
});
