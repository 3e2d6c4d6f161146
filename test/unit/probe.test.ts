import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayDimensions } from '../../containers/ffmpeg/src/ffmpeg-command.ts';
import { parseProbe } from '../../containers/ffmpeg/src/probe.ts';

/** What the worker runs: ffprobe's JSON on stdout, whatever the exit code. */
function ffprobeJson(file: string): string {
  return spawnSync('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file], {
    encoding: 'utf8',
  }).stdout;
}

function ffmpeg(...args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args]);
}

describe('parseProbe on real ffprobe output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vidp-probe-'));
  const files = {
    withAudio: join(dir, 'with-audio.mp4'),
    videoOnly: join(dir, 'video-only.mp4'),
    rotated: join(dir, 'rotated.mp4'),
    audioOnly: join(dir, 'audio-only.m4a'),
    text: join(dir, 'not-a-video.mp4'),
  };

  beforeAll(() => {
    const testPicture = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=1'];
    const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];
    ffmpeg(...testPicture, '-f', 'lavfi', '-i', 'sine=duration=1', ...x264, '-c:a', 'aac', '-shortest', files.withAudio);
    ffmpeg(...testPicture, ...x264, files.videoOnly);
    // What a phone writes for portrait video: landscape pixels plus a display rotation (FFmpeg 5.1 turns
    // the rotate tag into the display matrix when stream-copying into MP4).
    ffmpeg('-i', files.videoOnly, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', files.rotated);
    ffmpeg('-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', files.audioOnly);
    writeFileSync(files.text, 'This is a text file with a video extension.\n');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads duration, video stream and audio presence of a clip with sound', () => {
    const probe = parseProbe(ffprobeJson(files.withAudio));

    expect(probe.durationSeconds).toBeCloseTo(1, 1);
    expect(probe.video).toEqual({
      width: 320,
      height: 240,
      rotation: 0,
      sampleAspectRatio: 1,
      pixFmt: 'yuv420p',
      codec: 'h264',
      frameRate: { base: 25, average: 25 },
    });
    expect(probe.hasAudio).toBe(true);
  });

  it('reports no audio for a video-only clip', () => {
    const probe = parseProbe(ffprobeJson(files.videoOnly));

    expect(probe.video).toMatchObject({ width: 320, height: 240 });
    expect(probe.hasAudio).toBe(false);
  });

  it('reads the display rotation, which swaps the displayed width and height', () => {
    const probe = parseProbe(ffprobeJson(files.rotated));

    expect(probe.video).toMatchObject({ width: 320, height: 240 });
    expect([90, 270]).toContain(probe.video?.rotation);
    expect(displayDimensions(probe.video!)).toEqual({ width: 240, height: 320 });
  });

  it('finds no video stream in an audio file', () => {
    const probe = parseProbe(ffprobeJson(files.audioOnly));

    expect(probe.video).toBeUndefined();
    expect(probe.hasAudio).toBe(true);
  });

  it('finds nothing in a text file named .mp4 (ffprobe prints an empty object)', () => {
    const probe = parseProbe(ffprobeJson(files.text));

    expect(probe).toEqual({ durationSeconds: undefined, video: undefined, hasAudio: false });
  });
});

describe('parseProbe on edge cases', () => {
  it('reads the legacy rotate tag of older FFmpeg builds', () => {
    const probe = parseProbe({
      streams: [{ codec_type: 'video', width: 1920, height: 1080, tags: { rotate: '90' } }],
      format: { duration: '12.5' },
    });

    expect(probe.video?.rotation).toBe(270);
    expect(probe.durationSeconds).toBe(12.5);
  });

  it('ignores cover art, which ffprobe lists as a video stream', () => {
    const probe = parseProbe({
      streams: [
        { codec_type: 'audio', codec_name: 'mp3' },
        { codec_type: 'video', codec_name: 'mjpeg', width: 500, height: 500, disposition: { attached_pic: 1 } },
      ],
    });

    expect(probe.video).toBeUndefined();
  });

  it('treats an unknown sample aspect ratio (0:1) as square pixels', () => {
    const probe = parseProbe({ streams: [{ codec_type: 'video', width: 640, height: 480, sample_aspect_ratio: '0:1' }] });

    expect(probe.video?.sampleAspectRatio).toBe(1);
  });

  it('falls back to the video stream duration when the container has none', () => {
    const probe = parseProbe({ streams: [{ codec_type: 'video', width: 640, height: 480, duration: '3.2' }], format: {} });

    expect(probe.durationSeconds).toBe(3.2);
  });

  it('rejects output that is not JSON as an invalid input', () => {
    expect(() => parseProbe('moov atom not found')).toThrow(expect.objectContaining({ name: 'InputInvalidError' }));
  });
});
