import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublicVideo } from '../../functions/core/video.ts';
import {
  finalStatus,
  ONE_CUE_SRT,
  startHarness,
  submitVideo,
  writeTemp,
  type Harness,
} from '../support/workflow-harness.ts';

/**
 * Awkward but valid media through the whole pipeline, checked on the MP4 that comes out: portrait, rotated,
 * 10-bit, 4:4:4 with odd dimensions, variable frame rate, no audio. All run at once, tiny and ultrafast.
 */
const run = promisify(execFile);

interface Output {
  width: number;
  height: number;
  pixFmt: string;
  profile: string;
  baseRate: number;
  averageRate: number;
  rotation: number | undefined;
  hasAudio: boolean;
  durationSeconds: number;
}

const SOURCES = {
  portrait: { box: '360p', make: ['-f', 'lavfi', '-i', 'testsrc2=size=360x640:rate=25:duration=2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p'] },
  smallPortrait: { box: '720p', make: ['-f', 'lavfi', '-i', 'testsrc2=size=180x320:rate=25:duration=2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p'] },
  tenBit: { box: '360p', make: ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p10le'] },
  oddDimensions: { box: '360p', make: ['-f', 'lavfi', '-i', 'testsrc2=size=321x241:rate=25:duration=2', '-c:v', 'libx264', '-pix_fmt', 'yuv444p'] },
  variableFrameRate: {
    box: '360p',
    make: [
      ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=3'],
      ...['-vf', "select='lt(mod(n\\,5)\\,2)'", '-fps_mode', 'vfr', '-c:v', 'libx264', '-pix_fmt', 'yuv420p'],
    ],
  },
  videoOnly: { box: '360p', make: ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p'] },
} as const;
type SourceName = keyof typeof SOURCES | 'rotated';

let harness: Harness;
const sources: Partial<Record<SourceName, string>> = {};
const finals: Partial<Record<SourceName, PublicVideo & { playback_url?: string }>> = {};
const outputs: Partial<Record<SourceName, Output>> = {};

async function probe(path: string): Promise<Output> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', path]);
  const { streams, format } = JSON.parse(stdout) as {
    streams: {
      codec_type: string;
      width?: number;
      height?: number;
      pix_fmt?: string;
      profile?: string;
      r_frame_rate?: string;
      avg_frame_rate?: string;
      side_data_list?: { rotation?: number }[];
    }[];
    format: { duration: string };
  };
  const video = streams.find((stream) => stream.codec_type === 'video')!;
  const rate = (value = '0/1') => {
    const [num = 0, den = 1] = value.split('/').map(Number);
    return den === 0 ? 0 : num / den;
  };
  return {
    width: video.width ?? 0,
    height: video.height ?? 0,
    pixFmt: video.pix_fmt ?? '',
    profile: video.profile ?? '',
    baseRate: rate(video.r_frame_rate),
    averageRate: rate(video.avg_frame_rate),
    rotation: video.side_data_list?.find((data) => data.rotation !== undefined)?.rotation,
    hasAudio: streams.some((stream) => stream.codec_type === 'audio'),
    durationSeconds: Number(format.duration),
  };
}

beforeAll(async () => {
  harness = await startHarness();
  const withTone = ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:a', 'aac', '-shortest'];
  await Promise.all(
    Object.entries(SOURCES).map(async ([name, { make }]) => {
      const path = join(harness.workDir, `${name}.mp4`);
      const audio = name === 'videoOnly' || name === 'variableFrameRate' ? [] : withTone;
      await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...make.slice(0, 4), ...audio.slice(0, 4), ...make.slice(4), ...audio.slice(4), '-preset', 'ultrafast', path]);
      sources[name as SourceName] = path;
    }),
  );
  // A phone held upright: landscape pixels with a display rotation of 90°.
  sources.rotated = join(harness.workDir, 'rotated.mp4');
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', sources.videoOnly!, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', sources.rotated]);
  const subtitles = await writeTemp(harness, 'one.srt', ONE_CUE_SRT);

  const names = [...Object.keys(SOURCES), 'rotated'] as SourceName[];
  await Promise.all(
    names.map(async (name) => {
      const box = name === 'rotated' ? '360p' : SOURCES[name].box;
      const video = await submitVideo(harness, { source: sources[name]!, subtitles, request: { resolution: box } });
      const final = await finalStatus(harness, video, 90_000);
      finals[name] = final;
      if (final.playback_url) {
        const path = join(harness.workDir, `${name}-out.mp4`);
        await writeFile(path, Buffer.from(await (await fetch(final.playback_url)).arrayBuffer()));
        outputs[name] = await probe(path);
      }
    }),
  );
});

afterAll(async () => {
  await harness?.stop();
});

describe('awkward but valid media is saved as a player-friendly MP4', () => {
  it('every one of them ends saved, in 8-bit 4:2:0 H.264', () => {
    for (const [name, final] of Object.entries(finals)) {
      expect(final?.error, name).toBeUndefined();
      expect(final?.status, name).toBe('saved');
      expect(outputs[name as SourceName]?.pixFmt, name).toBe('yuv420p');
    }
  });

  it('portrait video fits the box by its height', () => {
    expect(outputs.portrait).toMatchObject({ width: 202, height: 360 });
  });

  it('a portrait video smaller than the box is not upscaled', () => {
    expect(outputs.smallPortrait).toMatchObject({ width: 180, height: 320 });
  });

  it('rotation is honoured: the picture is turned upright, and no rotation flag is left for players to apply twice', () => {
    expect(outputs.rotated).toMatchObject({ width: 240, height: 320 });
    expect(outputs.rotated?.rotation ?? 0).toBe(0);
  });

  it('10-bit input comes out 8-bit, playable on any device', () => {
    expect(outputs.tenBit?.profile).not.toMatch(/10/);
    expect(outputs.tenBit).toMatchObject({ width: 320, height: 240, pixFmt: 'yuv420p' });
  });

  it('odd dimensions are made even', () => {
    expect(outputs.oddDimensions).toMatchObject({ width: 320, height: 240 });
  });

  it('variable frame rate comes out at a constant rate, keeping the duration', () => {
    const output = outputs.variableFrameRate!;
    expect(Math.abs(output.baseRate - output.averageRate)).toBeLessThan(0.1);
    expect(output.averageRate).toBeLessThanOrEqual(60);
    expect(Math.abs(output.durationSeconds - 3)).toBeLessThan(0.3);
  });

  it('a video without sound comes out as a valid video-only MP4', () => {
    expect(outputs.videoOnly).toMatchObject({ hasAudio: false, width: 320, height: 240 });
    expect(outputs.portrait?.hasAudio).toBe(true);
  });
});
