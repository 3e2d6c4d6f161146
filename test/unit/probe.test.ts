import { describe, expect, it } from 'vitest';
import { parseProbe } from '../../containers/ffmpeg/src/probe.ts';

/** ffprobe's JSON as older builds and odd files print it; what the real ffprobe prints is in test/integration/worker-ffmpeg.test.ts. */
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

  it('reads an anamorphic sample aspect ratio and fractional frame rates, an unknown one (0/0) as undefined', () => {
    const probe = parseProbe({
      streams: [{ codec_type: 'video', width: 720, height: 576, sample_aspect_ratio: '64:45', r_frame_rate: '30000/1001', avg_frame_rate: '0/0' }],
    });

    expect(probe.video?.sampleAspectRatio).toBe(64 / 45);
    expect(probe.video?.frameRate).toEqual({ base: 30000 / 1001, average: undefined });
  });

  it('treats an unknown sample aspect ratio (0:1) as square pixels', () => {
    const probe = parseProbe({ streams: [{ codec_type: 'video', width: 640, height: 480, sample_aspect_ratio: '0:1' }] });

    expect(probe.video?.sampleAspectRatio).toBe(1);
  });

  it('falls back to the video stream duration when the container has none', () => {
    const probe = parseProbe({ streams: [{ codec_type: 'video', width: 640, height: 480, duration: '3.2' }], format: {} });

    expect(probe.durationSeconds).toBe(3.2);
  });

  it('finds nothing in the empty object ffprobe prints for a file it cannot read', () => {
    expect(parseProbe('{}')).toEqual({ durationSeconds: undefined, video: undefined, hasAudio: false, audio: [] });
  });

  it('rejects output that is not JSON as an invalid input', () => {
    expect(() => parseProbe('moov atom not found')).toThrow(expect.objectContaining({ name: 'InputInvalidError' }));
  });

  it('picks the real video past a cover-art still, flagged or an unflagged one-image track, with its index', () => {
    const probe = parseProbe({
      streams: [
        { index: 0, codec_type: 'video', codec_name: 'png', width: 64, height: 64, disposition: { attached_pic: 1 } },
        { index: 1, codec_type: 'video', codec_name: 'mjpeg', width: 64, height: 64 },
        { index: 2, codec_type: 'video', codec_name: 'h264', width: 320, height: 240, field_order: 'tt', color_range: 'pc', color_space: 'unknown' },
      ],
    });

    expect(probe.video).toMatchObject({ index: 2, codec: 'h264', fieldOrder: 'tt', color: { range: 'pc', space: undefined } });
  });

  it('lists every audio track with its language, default flag and channels', () => {
    const probe = parseProbe({
      streams: [
        { index: 0, codec_type: 'video', codec_name: 'h264', width: 320, height: 240 },
        { index: 1, codec_type: 'audio', codec_name: 'aac', channels: 2, bit_rate: '128000', tags: { language: 'eng' }, disposition: { default: 0 } },
        { index: 2, codec_type: 'audio', codec_name: 'ac3', channels: 6, tags: { language: 'und' }, disposition: { default: 1 } },
      ],
    });

    expect(probe.audio).toEqual([
      { index: 1, codec: 'aac', channels: 2, language: 'eng', isDefault: false, bitRate: 128_000, sampleRate: undefined },
      { index: 2, codec: 'ac3', channels: 6, language: undefined, isDefault: true, bitRate: undefined, sampleRate: undefined },
    ]);
  });
});
