import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grayFrame } from '../../infra/dev-kit/media-inspect.ts';
import { audioOf, decodedFrames, FORMAT_SOURCES, makeFormatSource, psnr, toneFrequency, videoOf } from '../support/media-corpus.ts';
import { arrangeCloud, runJob, uploaded, type JobRun } from '../support/transcode-job.ts';

/**
 * Other codecs and containers than H.264/AAC in MP4 (HEVC 10-bit, VP9/Opus WebM, ProRes/PCM MOV, MPEG-4/MP3
 * AVI), anamorphic pixels and a rotated phone clip, through the worker with the real ffmpeg. Each output is
 * judged by what a viewer gets: an H.264/AAC MP4 of square pixels whose picture matches the source as a
 * player shows it (PSNR against the source decoded, turned and stretched by ffmpeg itself), every frame,
 * and the source's tone.
 */
const fixtures = mkdtempSync(join(tmpdir(), 'vidp-media-formats-'));
const runs: Record<string, { run: JobRun; output: string | undefined }> = {};

beforeAll(async () => {
  const subtitles = join(fixtures, 'subtitles.srt');
  // The only cue ends at 0.5 s: the frames compared later show the picture alone.
  writeFileSync(subtitles, '1\n00:00:00,000 --> 00:00:00,500\nHi\n');
  for (const name of Object.keys(FORMAT_SOURCES)) {
    const source = join(fixtures, name);
    makeFormatSource(name, source);
    arrangeCloud(subtitles);
    const run = await runJob(fixtures, source, { job: { crf: 23 } });
    const body = uploaded('videos/video-1/video.mp4')?.body as Uint8Array | undefined;
    const output = body === undefined ? undefined : join(fixtures, `${name}.out.mp4`);
    if (output !== undefined) writeFileSync(output, body!);
    runs[name] = { run, output };
  }
}, 120_000);

afterAll(() => rmSync(fixtures, { recursive: true, force: true }));

function durationOf(file: string): number {
  return Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], { encoding: 'utf8' }).trim());
}

function saved(name: string): string {
  expect(runs[name]!.run.outcome).toBe('succeeded');
  return runs[name]!.output!;
}

/** PSNR of the output's frame at 1.2 s against the source's, as ffmpeg shows the source (turned, stretched). */
async function likeness(name: string, width: number, height: number): Promise<number> {
  const [source, output] = await Promise.all([
    grayFrame(join(fixtures, name), 1.2, width, height),
    grayFrame(saved(name), 1.2, width, height),
  ]);
  return psnr(source, output);
}

describe('other codecs and containers', () => {
  it.each([
    ['hevc-10bit.mp4', 'hevc', 'yuv420p10le'],
    ['vp9-opus.webm', 'vp9', 'yuv420p'],
    ['prores-pcm.mov', 'prores', 'yuv422p10le'],
    ['mpeg4-mp3.avi', 'mpeg4', 'yuv420p'],
  ])('%s becomes 8-bit 4:2:0 H.264 with AAC: the same picture, every frame, the same tone', async (name, codec, pixFmt) => {
    const sourceFile = join(fixtures, name);
    const source = videoOf(sourceFile);
    expect([source.codec_name, source.pix_fmt]).toEqual([codec, pixFmt]); // the fixture is what it claims
    const output = saved(name);
    const video = videoOf(output);
    expect([video.codec_name, video.pix_fmt, video.width, video.height]).toEqual(['h264', 'yuv420p', 320, 240]);
    // Every picture kept (the AVI's skipped first slot is held, as players show it), the timeline unchanged.
    expect(decodedFrames(output)).toBeGreaterThanOrEqual(decodedFrames(sourceFile));
    expect(Math.abs(Number(video.duration) - durationOf(sourceFile))).toBeLessThanOrEqual(0.04);
    expect(await likeness(name, 320, 240)).toBeGreaterThan(30);
    expect(audioOf(output)?.codec_name).toBe('aac');
    const expected = FORMAT_SOURCES[name]!.toneHz!;
    expect(Math.abs(toneFrequency(output) - expected) / expected).toBeLessThan(0.03);
    expect(Math.abs(Number(audioOf(output)!.duration) - Number(video.duration))).toBeLessThan(0.05);
  });
});

describe('pixel shape and orientation', () => {
  it('anamorphic 180x144 at 64:45 comes out 256x144 in square pixels (16:9), matching the picture players show', async () => {
    const video = videoOf(saved('anamorphic.mp4'));
    expect([video.width, video.height]).toEqual([256, 144]);
    expect(video.sample_aspect_ratio ?? '1:1').toBe('1:1');
    expect(video.display_aspect_ratio).toBe('16:9');
    expect(await likeness('anamorphic.mp4', 256, 144)).toBeGreaterThan(30);
  });

  it('a rotated phone clip is turned upright in its pixels: 240x320, no rotation flag left, the picture the right way up', async () => {
    const video = videoOf(saved('rotated.mp4'));
    expect([video.width, video.height]).toEqual([240, 320]);
    expect(video.side_data_list?.find((data) => data.rotation !== undefined)?.rotation ?? 0).toBe(0);
    const upright = await likeness('rotated.mp4', 240, 320);
    expect(upright).toBeGreaterThan(30);
    // Turned the other way it would not match: the measure tells orientations apart.
    const [source, output] = await Promise.all([
      grayFrame(join(fixtures, 'rotated.mp4'), 1.2, 240, 320),
      grayFrame(saved('rotated.mp4'), 1.2, 240, 320),
    ]);
    expect(psnr(source.slice().reverse(), output)).toBeLessThan(upright - 10);
  });
});
