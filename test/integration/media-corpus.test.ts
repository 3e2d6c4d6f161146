import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ffmpeg, rate, streams, toneFrequency, videoOf, x264 } from '../support/media-corpus.ts';
import { arrangeCloud, dynamoMock, reportedFailure, runJob, uploaded, type JobRun } from '../support/transcode-job.ts';

/**
 * Real-world media, generated with ffmpeg (tiny and short), through the worker with the real ffmpeg: each
 * case is judged by measuring the MP4 that comes out (idet, frame timing, audio frequency, bitrate, luma).
 * The jobs run one after the other in beforeAll (the S3 mock is shared); about a second each.
 */
const fixtures = mkdtempSync(join(tmpdir(), 'vidp-media-corpus-'));
const subtitles = join(fixtures, 'subtitles.srt');

/** How each source is made; its name is the file name. */
const SOURCES: Record<string, string[]> = {
  // 50 fields/s of motion, interlaced top field first, as MPEG-2 from a broadcast or a DVD.
  'interlaced.mpg': [
    ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=50:duration=2', '-vf', 'interlace=scan=tff'],
    ...['-c:v', 'mpeg2video', '-flags', '+ilme+ildct', '-top', '1', '-b:v', '2M'],
  ],
  // 25 progressive pictures a second coded as interlaced MPEG-2 (25PsF, as film is broadcast); blurred a
  // little, since testsrc2's one-line detail looks combed to idet even when progressive.
  'film-interlaced.mpg': [
    ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2,gblur=sigma=2.5'],
    ...['-c:v', 'mpeg2video', '-flags', '+ilme+ildct', '-top', '1', '-q:v', '2'],
  ],
  // 15 fps for the first second, 30 fps for the next: a phone's variable frame rate, with sound.
  'vfr.mp4': [
    ...['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=30:duration=2', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'],
    ...['-vf', "select='gte(t\\,1)+not(mod(n\\,2))'", '-fps_mode', 'vfr', ...x264, '-c:a', 'aac', '-shortest'],
  ],
  'film.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=24000/1001:duration=1', ...x264],
  'sixty.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=60:duration=1', ...x264],
  // One frame every two seconds: avg_frame_rate 0.74, r_frame_rate 1/2.
  'sparse.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25:duration=6', '-vf', "select='not(mod(n\\,50))'", '-fps_mode', 'vfr', ...x264],
  // A one-frame MJPEG still as the first video track, the real 2-second video second.
  'cover.mkv': [
    ...['-f', 'lavfi', '-i', 'color=red:size=64x64:duration=0.04', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2'],
    ...['-map', '0:v', '-map', '1:v', '-c:v:0', 'mjpeg', '-c:v:1', 'libx264', '-preset', 'ultrafast', '-pix_fmt:v:1', 'yuv420p'],
  ],
  // English 440 Hz first, French 1 kHz second and flagged default.
  'two-tracks.mp4': [
    ...['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25:duration=1'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-f', 'lavfi', '-i', 'sine=frequency=1000:duration=1'],
    ...['-map', '0', '-map', '1', '-map', '2', ...x264, '-c:a', 'aac'],
    ...['-metadata:s:a:0', 'language=eng', '-metadata:s:a:1', 'language=fre', '-disposition:a:0', '0', '-disposition:a:1', 'default'],
  ],
  // 5.1 AC-3 (noise on every channel, so the encoder spends the bitrate it is given).
  'surround.mp4': [
    ...['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25:duration=2'],
    ...['-f', 'lavfi', '-i', 'anoisesrc=duration=2:amplitude=0.5,aformat=channel_layouts=5.1'],
    ...x264, '-c:a', 'ac3', '-b:a', '448k',
  ],
  // Flat white in full range (Y = 255), tagged pc, as VP9 or JPEG-style yuvj sources are.
  'full-range.mp4': [
    ...['-f', 'lavfi', '-i', 'color=white:size=160x120:rate=25:duration=1', '-vf', 'scale=out_range=pc,format=yuv420p'],
    ...['-color_range', 'pc', '-c:v', 'libx264', '-preset', 'ultrafast'],
  ],
  'tiny.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=8x8:rate=25:duration=1', ...x264],
};

interface Case {
  run: JobRun;
  /** The uploaded MP4, when the job saved one. */
  output: string | undefined;
  failure: ReturnType<typeof reportedFailure> | undefined;
  /** What the worker wrote to the record's audio_tracks. */
  audioTracks: unknown;
}
const cases: Record<string, Case> = {};

beforeAll(async () => {
  // The only cue ends at 0.5 s, so later frames show the picture alone.
  writeFileSync(subtitles, '1\n00:00:00,000 --> 00:00:00,500\nHi\n');
  for (const [name, make] of Object.entries(SOURCES)) {
    const source = join(fixtures, name);
    ffmpeg(...make, source);
    arrangeCloud(subtitles);
    const run = await runJob(fixtures, source);
    const body = uploaded('videos/video-1/video.mp4')?.body as Uint8Array | undefined;
    const output = body === undefined ? undefined : join(fixtures, `${name}.out.mp4`);
    if (output !== undefined) writeFileSync(output, body!);
    const audioTracks = dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input.ExpressionAttributeValues?.[':tracks'])
      .find((tracks) => tracks !== undefined);
    cases[name] = { run, output, failure: run.outcome === 'failed' ? reportedFailure() : undefined, audioTracks };
  }
}, 120_000);

afterAll(() => rmSync(fixtures, { recursive: true, force: true }));

function saved(name: string): string {
  const { run, output } = cases[name]!;
  expect(run.outcome).toBe('succeeded');
  return output!;
}

/** The average luma of the top-left 32x32 pixels of the frame at `seconds` (away from the subtitles). */
function cornerLuma(file: string, seconds: number): number {
  const stats = execFileSync(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-ss', String(seconds), '-i', file, '-frames:v', '1'],
      ...['-vf', 'crop=32:32:0:0,signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-', '-f', 'null', '-'],
    ],
    { encoding: 'utf8' },
  );
  return Number(/YAVG=([\d.]+)/.exec(stats)?.[1]);
}

function idet(file: string): { interlaced: number; progressive: number } {
  const result = execFileSync('sh', ['-c', `ffmpeg -hide_banner -nostdin -i '${file}' -vf idet -an -f null - 2>&1`], { encoding: 'utf8' });
  const match = /Multi frame detection: TFF:\s*(\d+) BFF:\s*(\d+) Progressive:\s*(\d+)/.exec(result);
  if (!match) throw new Error(`idet printed no summary:\n${result}`);
  return { interlaced: Number(match[1]) + Number(match[2]), progressive: Number(match[3]) };
}

describe('real-world video', () => {
  it('interlaced MPEG-2 is deinterlaced at its field rate: idet finds the output progressive, at 50 fps', () => {
    const source = idet(join(fixtures, 'interlaced.mpg'));
    expect(source.interlaced).toBeGreaterThan(source.progressive); // the fixture really is interlaced
    const output = saved('interlaced.mpg');
    const detected = idet(output);
    expect(detected.progressive).toBeGreaterThan(4 * detected.interlaced);
    const video = videoOf(output);
    expect(rate(video.avg_frame_rate)).toBeCloseTo(50, 1);
    expect(Number(video.nb_frames)).toBeGreaterThanOrEqual(98);
  });

  it('film carried as interlaced fields is deinterlaced at its frame rate: 25p, each picture once', () => {
    const output = saved('film-interlaced.mpg');
    const detected = idet(output);
    expect(detected.progressive).toBeGreaterThan(4 * detected.interlaced);
    const video = videoOf(output);
    expect(rate(video.avg_frame_rate)).toBeCloseTo(25, 1);
    expect(Number(video.nb_frames)).toBe(50);
  });

  it('15-then-30 fps comes out at a constant 30 fps, every frame on time, sound and picture within a frame', () => {
    const all = streams(saved('vfr.mp4'));
    const video = all.find((stream) => stream.codec_type === 'video')!;
    const audio = all.find((stream) => stream.codec_type === 'audio')!;
    expect(rate(video.r_frame_rate)).toBe(30);
    expect(rate(video.avg_frame_rate)).toBeCloseTo(30, 1);
    expect(Number(video.nb_frames)).toBe(60);
    expect(Math.abs(Number(video.duration) - 2)).toBeLessThanOrEqual(1 / 30);
    expect(Math.abs(Number(video.duration) - Number(audio.duration))).toBeLessThanOrEqual(1 / 30);
  });

  it('23.976 and 60 fps are kept as they are', () => {
    const film = videoOf(saved('film.mp4'));
    expect(film.r_frame_rate).toBe('24000/1001');
    const sixty = videoOf(saved('sixty.mp4'));
    expect(sixty.r_frame_rate).toBe('60/1');
    expect(Number(sixty.nb_frames)).toBe(60);
  });

  it('sparse timestamps get a standard rate (24 fps) and keep their duration: no 0.001 fps, no failed job', () => {
    const video = videoOf(saved('sparse.mp4'));
    expect(rate(video.r_frame_rate)).toBe(24);
    const sourceDuration = Number(JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_format', '-of', 'json', join(fixtures, 'sparse.mp4')], { encoding: 'utf8' })).format.duration);
    expect(Math.abs(Number(video.duration) - sourceDuration)).toBeLessThanOrEqual(0.1);
  });

  it('the real video is encoded, not the cover-art still before it', () => {
    const video = videoOf(saved('cover.mkv'));
    expect([video.width, video.height]).toEqual([320, 240]);
    expect(Number(video.nb_frames)).toBe(50);
  });

  it('full range is converted to limited: tagged tv, flat white (255) becomes 235', () => {
    const output = saved('full-range.mp4');
    expect(videoOf(output).color_range).toBe('tv');
    expect(cornerLuma(join(fixtures, 'full-range.mp4'), 0.8)).toBeGreaterThan(250);
    expect(Math.abs(cornerLuma(output, 0.8) - 235)).toBeLessThanOrEqual(2);
  });

  it('a source too small to subtitle fails with a clear message', () => {
    expect(cases['tiny.mp4']!.run.outcome).toBe('failed');
    expect(cases['tiny.mp4']!.failure?.cause).toMatchObject({ code: 'input_invalid', message: expect.stringContaining('8x8 pixels') });
  });
});

describe('real-world audio', () => {
  it('of two tracks the default-flagged one is kept (1 kHz, not the first track\'s 440 Hz), and the record says which were dropped', () => {
    const output = saved('two-tracks.mp4');
    expect(streams(output).filter((stream) => stream.codec_type === 'audio')).toHaveLength(1);
    expect(toneFrequency(output)).toBeGreaterThan(900);
    expect(toneFrequency(output)).toBeLessThan(1100);
    const warned = cases['two-tracks.mp4']!.run.logs.find((line) => line.msg === 'finished with warnings' || line.message === 'finished with warnings');
    expect(JSON.stringify(warned)).toContain('Kept audio track 2 (fre, 1 ch, default); dropped track 1 (eng, 1 ch)');
    expect(cases['two-tracks.mp4']!.audioTracks).toEqual([
      { track: 1, language: 'eng', channels: 1, codec: 'aac', default: false, kept: false },
      { track: 2, language: 'fre', channels: 1, codec: 'aac', default: true, kept: true },
    ]);
  });

  it('5.1 keeps its six channels at 384 kb/s, not 128 kb/s for all of them', () => {
    const audio = streams(saved('surround.mp4')).find((stream) => stream.codec_type === 'audio')!;
    expect(audio.channels).toBe(6);
    expect(Number(audio.bit_rate)).toBeGreaterThan(300_000);
  });
});
