import { execFileSync } from 'node:child_process';

/**
 * The real-world corpus the media tests run through the worker, and what they measure the outputs with.
 * Every source is made by Debian's ffmpeg, tiny and short (the machine has two cores for everyone).
 */
export function ffmpeg(...args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args]);
}

export const x264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

/** 2 s of testsrc2 (detail everywhere: a wrong size, aspect or turn shows at once) at `size`. */
const picture = (size = '320x240', rate = 25) => ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=2`];
const tone = (frequency: number) => ['-f', 'lavfi', '-i', `sine=frequency=${frequency}:duration=2:sample_rate=48000`];

/**
 * Inputs of other codecs and containers than H.264/AAC in MP4, as cameras, editors and the web make them:
 * file name → ffmpeg arguments, and the tone (Hz) each carries so the output's sound can be checked.
 */
export const FORMAT_SOURCES: Record<string, { make: string[]; toneHz?: number; remux?: string[] }> = {
  // 10-bit HEVC as phones record HDR-less video now (tagged hvc1, as Apple's players want it).
  'hevc-10bit.mp4': {
    make: [...picture(), ...tone(440), '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p10le', '-tag:v', 'hvc1', '-c:a', 'aac'],
    toneHz: 440,
  },
  // What browsers record (MediaRecorder) and YouTube serves: VP9 and Opus in WebM.
  'vp9-opus.webm': {
    make: [...picture(), ...tone(1000), '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '500k', '-c:a', 'libopus'],
    toneHz: 1000,
  },
  // An editor's intermediate: ProRes 422 (10-bit 4:2:2) with 24-bit PCM in QuickTime.
  'prores-pcm.mov': {
    make: [...picture(), ...tone(660), '-c:v', 'prores_ks', '-profile:v', '0', '-pix_fmt', 'yuv422p10le', '-c:a', 'pcm_s24le'],
    toneHz: 660,
  },
  // The old web's download: MPEG-4 Part 2 (Xvid-like) with MP3 in AVI.
  'mpeg4-mp3.avi': {
    make: [...picture(), ...tone(880), '-c:v', 'mpeg4', '-q:v', '4', '-c:a', 'libmp3lame', '-b:a', '128k'],
    toneHz: 880,
  },
  // PAL widescreen DVD-style anamorphic pixels (64:45) at a tenth of the size: 180x144 stored, 256x144 shown.
  'anamorphic.mp4': { make: [...picture('256x144'), '-vf', 'scale=180:144,setsar=64/45', ...x264] },
  // A phone held upright: landscape pixels with a display rotation of 90° (ffmpeg 5.1 writes the display
  // matrix from the rotate tag only when remuxing).
  'rotated.mp4': { make: [...picture(), ...x264], remux: ['-metadata:s:v:0', 'rotate=90'] },
};

/** Writes `name` of FORMAT_SOURCES at `path`. */
export function makeFormatSource(name: string, path: string): void {
  const { make, remux } = FORMAT_SOURCES[name]!;
  if (remux === undefined) return ffmpeg(...make, path);
  const first = `${path}.first${path.slice(path.lastIndexOf('.'))}`;
  ffmpeg(...make, first);
  ffmpeg('-i', first, '-c', 'copy', ...remux, path);
}

/**
 * A valid MP4 and its non-interleaved twin: the same packets, stored all the video first, then all the audio
 * (the muxer groups each stream's packets into one chunk of unlimited duration), as some cameras and
 * editors write them. 10 s of 160x120 noise coded losslessly, so the audio lies ~10 MB after the video's
 * start: read through a URL, that measured 452 range requests with ffmpeg 5.1 (the twin: 3).
 */
export function makeInterleavedTwins(interleaved: string, nonInterleaved: string, seconds = 10): void {
  ffmpeg(
    ...['-f', 'lavfi', '-i', `color=gray:size=160x120:rate=25:duration=${seconds},noise=alls=100:allf=t`],
    ...['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', interleaved],
  );
  ffmpeg('-i', interleaved, '-c', 'copy', '-chunk_duration', '1000000000', '-max_interleave_delta', '0', nonInterleaved);
}

/** Bytes between the first packets of the first video and the first audio stream, as stored in `file`. */
export function firstPacketGap(file: string): number {
  const csv = execFileSync('ffprobe', ['-v', 'error', '-read_intervals', '%+1', '-show_entries', 'packet=stream_index,pos', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  const first = new Map<string, number>();
  for (const [stream = '', pos = ''] of csv.trim().split('\n').map((line) => line.split(','))) if (!first.has(stream)) first.set(stream, Number(pos));
  return Math.abs(first.get('0')! - first.get('1')!);
}

export interface StreamInfo {
  codec_type: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  sample_aspect_ratio?: string;
  display_aspect_ratio?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
  channels?: number;
  bit_rate?: string;
  color_range?: string;
  side_data_list?: { rotation?: number }[];
}

export function streams(file: string): StreamInfo[] {
  const json = execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file], { encoding: 'utf8' });
  return (JSON.parse(json) as { streams: StreamInfo[] }).streams;
}

export function videoOf(file: string): StreamInfo {
  return streams(file).find((stream) => stream.codec_type === 'video')!;
}

export function audioOf(file: string): StreamInfo | undefined {
  return streams(file).find((stream) => stream.codec_type === 'audio');
}

/** The number of video frames a decoder gets out of `file` (counted, not the container's claim). */
export function decodedFrames(file: string): number {
  const csv = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file], {
    encoding: 'utf8',
  });
  return Number(csv.trim());
}

/** The dominant frequency of the first audio track, from its zero crossings (a pure tone gives it exactly). */
export function toneFrequency(file: string): number {
  const raw = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', file, '-map', '0:a:0', '-ac', '1', '-ar', '48000', '-f', 's16le', '-'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const samples = new Int16Array(raw.buffer, raw.byteOffset, Math.floor(raw.byteLength / 2));
  let crossings = 0;
  for (let i = 1; i < samples.length; i += 1) if ((samples[i - 1]! < 0) !== (samples[i]! < 0)) crossings += 1;
  return crossings / 2 / (samples.length / 48000);
}

export function rate(value = '0/1'): number {
  const [num = 0, den = 1] = value.split('/').map(Number);
  return den === 0 ? 0 : num / den;
}

/** PSNR in dB of two same-size grey frames (grayFrame); Infinity when identical. */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  let squared = 0;
  for (let i = 0; i < a.length; i += 1) squared += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  const meanSquared = squared / a.length;
  return meanSquared === 0 ? Infinity : 10 * Math.log10((255 * 255) / meanSquared);
}
