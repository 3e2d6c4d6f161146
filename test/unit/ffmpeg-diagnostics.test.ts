import { describe, expect, it } from 'vitest';
import { classifyFfmpegFailure, formatClock, truncationOf } from '../../containers/ffmpeg/src/ffmpeg-diagnostics.ts';

describe('classifyFfmpegFailure', () => {
  it('blames the input for decoding errors of a truncated or corrupt file', () => {
    expect(classifyFfmpegFailure(['[h264 @ 0x55] Invalid NAL unit size (3050 > 536).', 'Conversion failed!'])).toBe('input');
    expect(classifyFfmpegFailure(['[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55] stream 0, offset 0x5d9: partial file'])).toBe('input');
  });

  it('tells an upload written over mid-encode (S3 answering 412 to the pinned read) from other failures', () => {
    expect(classifyFfmpegFailure(['[http @ 0x56] HTTP error 412 Precondition Failed', 'Conversion failed!'])).toBe('changed');
  });

  it('blames storage when reading the source over HTTP failed for good', () => {
    expect(classifyFfmpegFailure(['[https @ 0x55] HTTP error 503 Service Unavailable', 'Conversion failed!'])).toBe('storage');
    expect(classifyFfmpegFailure(['[tcp @ 0x55] Connection reset by peer'])).toBe('storage');
  });

  it('blames the encoder for anything else', () => {
    expect(classifyFfmpegFailure(['[libx264 @ 0x55] malloc of size 8294400 failed', 'Conversion failed!'])).toBe('encoder');
  });
});

describe('truncationOf', () => {
  it('reports an output clearly shorter than the duration the source declares', () => {
    expect(truncationOf(4, 2.04)).toBe('The uploaded video is truncated: it holds 0:02 of the 0:04 it declares');
  });

  it('tolerates streams of slightly unequal length', () => {
    expect(truncationOf(10, 9.5)).toBeUndefined();
    expect(truncationOf(100, 95)).toBeUndefined();
    expect(truncationOf(undefined, 3)).toBeUndefined();
  });
});

describe('formatClock', () => {
  it('shows minutes and seconds, and hours only when there are some', () => {
    expect(formatClock(75)).toBe('1:15');
    expect(formatClock(3725)).toBe('1:02:05');
  });
});
