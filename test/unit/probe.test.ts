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
});
