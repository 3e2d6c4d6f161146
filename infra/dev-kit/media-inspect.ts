import { execFile, spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What a user checks first about an output file. */
export interface MediaSummary {
  formatName: string;
  durationSeconds: number;
  sizeBytes: number;
  video?: { codec: string; width: number; height: number; pixFmt: string; fps: number };
  audio?: { codec: string; sampleRate: number; channels: number };
}

export async function summarizeMedia(path: string): Promise<MediaSummary> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', path]);
  const probe = JSON.parse(stdout) as {
    format: { format_name: string; duration: string; size: string };
    streams: { codec_type: string; codec_name: string; width?: number; height?: number; pix_fmt?: string; avg_frame_rate?: string; sample_rate?: string; channels?: number }[];
  };
  const video = probe.streams.find((s) => s.codec_type === 'video');
  const audio = probe.streams.find((s) => s.codec_type === 'audio');
  const [num = 0, den = 1] = (video?.avg_frame_rate ?? '0/1').split('/').map(Number);
  return {
    formatName: probe.format.format_name,
    durationSeconds: Number(probe.format.duration),
    sizeBytes: Number(probe.format.size),
    ...(video && {
      video: { codec: video.codec_name, width: video.width ?? 0, height: video.height ?? 0, pixFmt: video.pix_fmt ?? '', fps: den ? num / den : 0 },
    }),
    ...(audio && { audio: { codec: audio.codec_name, sampleRate: Number(audio.sample_rate), channels: audio.channels ?? 0 } }),
  };
}

/** The MP4's top-level boxes in file order: `moov` before `mdat` means a player can start before the download ends. */
export async function topLevelBoxes(path: string): Promise<string[]> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const header = Buffer.alloc(16);
    const boxes: string[] = [];
    for (let offset = 0; offset + 8 <= size; ) {
      await file.read(header, 0, 16, offset);
      let boxSize = header.readUInt32BE(0);
      const type = header.toString('latin1', 4, 8);
      if (boxSize === 1) boxSize = Number(header.readBigUInt64BE(8));
      if (boxSize === 0) boxSize = size - offset;
      if (boxSize < 8) throw new Error(`Corrupt MP4 box "${type}" at offset ${offset}`);
      boxes.push(type);
      offset += boxSize;
    }
    return boxes;
  } finally {
    await file.close();
  }
}

/** One frame as 8-bit grey pixels, scaled to width x height, for comparing frames of two files. */
export async function grayFrame(path: string, atSeconds: number, width: number, height: number): Promise<Uint8Array> {
  const { stdout } = await run(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-ss', String(atSeconds), '-i', path, '-frames:v', '1', '-vf', `scale=${width}:${height}`, '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  return new Uint8Array(stdout);
}

/**
 * Share of pixels in the bottom `fraction` of two same-size grey frames that differ by more than
 * `threshold` levels. Encoding noise stays far below the threshold; white text with a black outline does not.
 */
export function changedShareInBottom(a: Uint8Array, b: Uint8Array, width: number, height: number, fraction = 0.3, threshold = 48): number {
  const firstRow = Math.floor(height * (1 - fraction));
  let changed = 0;
  let total = 0;
  for (let row = firstRow; row < height; row += 1) {
    for (let col = 0; col < width; col += 1) {
      const index = row * width + col;
      if (Math.abs((a[index] ?? 0) - (b[index] ?? 0)) > threshold) changed += 1;
      total += 1;
    }
  }
  return changed / total;
}

/** A PNG of one frame, to look at the burned-in subtitles without a player. */
export async function saveFrame(path: string, atSeconds: number, pngPath: string): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-ss', String(atSeconds), '-i', path, '-frames:v', '1', pngPath]);
}

/** One stream's packets in presentation order: their start and length, in seconds. */
export interface PacketTiming {
  ptsSeconds: number;
  durationSeconds: number;
}

export async function packetTimings(path: string, stream: 'v:0' | 'a:0'): Promise<PacketTiming[]> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-select_streams', stream, '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0', path],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout
    .trim()
    .split('\n')
    .map((line) => line.split(','))
    .map(([pts, duration]) => ({ ptsSeconds: Number(pts), durationSeconds: Number(duration) }))
    .sort((a, b) => a.ptsSeconds - b.ptsSeconds);
}

/** How long a stream plays, from its first packet's start to its last packet's end. */
export function playedSeconds(packets: readonly PacketTiming[]): number {
  const last = packets.at(-1);
  return last === undefined ? 0 : last.ptsSeconds + last.durationSeconds - packets[0]!.ptsSeconds;
}

/** Holes between consecutive packets longer than `toleranceSeconds`: silence (or a frozen frame) a player adds. */
export function packetGaps(packets: readonly PacketTiming[], toleranceSeconds: number): { atSeconds: number; seconds: number }[] {
  const gaps: { atSeconds: number; seconds: number }[] = [];
  for (let index = 1; index < packets.length; index += 1) {
    const end = packets[index - 1]!.ptsSeconds + packets[index - 1]!.durationSeconds;
    const hole = packets[index]!.ptsSeconds - end;
    if (Math.abs(hole) > toleranceSeconds) gaps.push({ atSeconds: end, seconds: hole });
  }
  return gaps;
}

/** Presentation times of the video's keyframes (where a segmented encode may cut the source). */
export async function keyframeTimes(path: string): Promise<number[]> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', path],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout
    .trim()
    .split('\n')
    .map((line) => line.split(','))
    .filter(([, flags]) => flags?.includes('K'))
    .map(([pts]) => Number(pts))
    .sort((a, b) => a - b);
}

/** Every decoded frame's mean grey level, with its presentation time; the frames `keep` picks, whole. */
export interface GrayFrames {
  width: number;
  height: number;
  times: number[];
  means: number[];
  kept: Map<number, Uint8Array>;
}

/**
 * Decodes the whole video to 8-bit grey at its own size, streaming (a 20 s clip is 140 MB of pixels), and
 * keeps the mean of each frame and the frames `keep` asks for by index. Frames come out in presentation order,
 * one per packet (`-fps_mode passthrough`: nothing dropped or repeated), so frame i plays at packet i's time.
 */
export async function readGrayFrames(path: string, keep: (index: number) => boolean = () => false): Promise<GrayFrames> {
  const [summary, packets] = await Promise.all([summarizeMedia(path), packetTimings(path, 'v:0')]);
  const { width = 0, height = 0 } = summary.video ?? {};
  const frameBytes = width * height;
  const means: number[] = [];
  const kept = new Map<number, Uint8Array>();
  const decoder = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', path, '-map', '0:v:0', '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let pending: Buffer = Buffer.alloc(0);
  let errors = '';
  decoder.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  decoder.stdout.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= frameBytes) {
      const frame = pending.subarray(0, frameBytes);
      let sum = 0;
      for (let index = 0; index < frameBytes; index += 1) sum += frame[index]!;
      if (keep(means.length)) kept.set(means.length, new Uint8Array(frame));
      means.push(sum / frameBytes);
      pending = pending.subarray(frameBytes);
    }
  });
  const code = await new Promise<number | null>((resolve, reject) => decoder.on('error', reject).on('close', resolve));
  if (code !== 0) throw new Error(`ffmpeg could not decode ${path}: ${errors.trim()}`);
  if (means.length !== packets.length) throw new Error(`${path}: ${means.length} frames decoded from ${packets.length} packets`);
  return { width, height, times: packets.map((packet) => packet.ptsSeconds), means, kept };
}

/** Times of the frames far brighter than both neighbours: the white flashes of makeSyncClip. */
export function flashTimes(frames: Pick<GrayFrames, 'times' | 'means'>, minimumRise = 60): number[] {
  const { times, means } = frames;
  return times.filter((_, index) => {
    const before = means[index - 1] ?? 0;
    const after = means[index + 1] ?? 0;
    return means[index]! - Math.max(before, after) >= minimumRise;
  });
}

/**
 * The first channel of the first audio track as 32-bit floats at `sampleRate`, and the time its first sample
 * plays. One channel, not a downmix: ffmpeg's mixes stereo at 1/√2 per side, which would change amplitudes.
 */
export async function decodeFirstChannel(path: string, sampleRate = 48000): Promise<{ samples: Float32Array; startSeconds: number; sampleRate: number }> {
  const [{ stdout }, probed] = await Promise.all([
    run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', path, '-map', '0:a:0', '-af', 'pan=mono|c0=c0', '-ar', String(sampleRate), '-f', 'f32le', 'pipe:1'], {
      encoding: 'buffer',
      maxBuffer: 256 * 1024 * 1024,
    }),
    run('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'stream=start_time', '-of', 'csv=p=0', path]),
  ]);
  const bytes = new Uint8Array(stdout);
  const samples = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength - (bytes.byteLength % 4)));
  return { samples, startSeconds: Number(probed.stdout.trim()) || 0, sampleRate };
}

/**
 * Amplitude of `frequency` in Hann windows of `windowSeconds` every `hopSeconds` (Goertzel): a 1 kHz beep over
 * a 440 Hz bed stands out by two orders of magnitude. Entry i is the window centred on i * hop.
 */
export function toneAmplitude(samples: Float32Array, sampleRate: number, frequency: number, windowSeconds = 0.01, hopSeconds = 0.0005): number[] {
  const size = Math.round(windowSeconds * sampleRate);
  const hop = Math.max(1, Math.round(hopSeconds * sampleRate));
  const hann = Float64Array.from({ length: size }, (_, index) => 0.5 - 0.5 * Math.cos((2 * Math.PI * index) / (size - 1)));
  const windowGain = hann.reduce((sum, value) => sum + value, 0) / 2;
  const coefficient = 2 * Math.cos((2 * Math.PI * frequency) / sampleRate);
  const amplitudes: number[] = [];
  for (let centre = 0; centre < samples.length; centre += hop) {
    let previous = 0;
    let beforePrevious = 0;
    for (let index = 0; index < size; index += 1) {
      const sample = samples[centre - Math.floor(size / 2) + index] ?? 0;
      const current = hann[index]! * sample + coefficient * previous - beforePrevious;
      beforePrevious = previous;
      previous = current;
    }
    const power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
    amplitudes.push(Math.sqrt(Math.max(0, power)) / windowGain);
  }
  return amplitudes;
}

/**
 * Where bursts of `frequency` start, in seconds from the first sample: the centre of the window where its
 * amplitude first rises through half of `amplitude` (a symmetric window is half covered when its centre is on
 * the onset), interpolated between hops. Half of that again re-arms the detector for the next burst.
 */
export function toneOnsets(samples: Float32Array, sampleRate: number, frequency: number, amplitude: number, hopSeconds = 0.0005): number[] {
  const amplitudes = toneAmplitude(samples, sampleRate, frequency, 0.01, hopSeconds);
  const hop = Math.max(1, Math.round(hopSeconds * sampleRate)) / sampleRate;
  const rise = amplitude / 2;
  const onsets: number[] = [];
  let armed = true;
  for (let index = 1; index < amplitudes.length; index += 1) {
    const [before, now] = [amplitudes[index - 1]!, amplitudes[index]!];
    if (armed && before < rise && now >= rise) {
      onsets.push((index - 1 + (rise - before) / (now - before)) * hop);
      armed = false;
    } else if (!armed && now < rise / 2) {
      armed = true;
    }
  }
  return onsets;
}

/** Root mean square of each window of `windowSeconds` from `fromSeconds` to `toSeconds` (seconds from the first sample). */
export function windowRms(samples: Float32Array, sampleRate: number, fromSeconds: number, toSeconds: number, windowSeconds = 0.01): number[] {
  const size = Math.round(windowSeconds * sampleRate);
  const values: number[] = [];
  for (let start = Math.max(0, Math.round(fromSeconds * sampleRate)); start + size <= Math.min(samples.length, toSeconds * sampleRate); start += size) {
    let sum = 0;
    for (let index = start; index < start + size; index += 1) sum += samples[index]! ** 2;
    values.push(Math.sqrt(sum / size));
  }
  return values;
}

/**
 * The largest first (`order` 1) or second (`order` 2) difference between consecutive samples from `fromSeconds`
 * to `toSeconds` (from the first sample), leaving out the `skip` ranges. A tone of amplitude A at f Hz moves at
 * most A·2πf/rate from one sample to the next, and bends at most A·(2πf/rate)²: a click goes past either, a
 * step past the first, and a kink (the waveform's phase jumping) past the second long before the first.
 */
export function largestDifference(
  samples: Float32Array,
  sampleRate: number,
  range: { fromSeconds: number; toSeconds: number; order: 1 | 2; skip?: readonly { fromSeconds: number; toSeconds: number }[] },
): number {
  const skipped = (index: number) => range.skip?.some(({ fromSeconds, toSeconds }) => index >= fromSeconds * sampleRate && index <= toSeconds * sampleRate) ?? false;
  let largest = 0;
  const end = Math.min(samples.length - 1, Math.round(range.toSeconds * sampleRate));
  for (let index = Math.max(1, Math.round(range.fromSeconds * sampleRate)); index < end; index += 1) {
    if (skipped(index)) continue;
    const difference = range.order === 1 ? samples[index]! - samples[index - 1]! : samples[index + 1]! - 2 * samples[index]! + samples[index - 1]!;
    largest = Math.max(largest, Math.abs(difference));
  }
  return largest;
}

/**
 * Average PSNR (dB, all planes) of the video of `path` against `referencePath`'s scaled to the same size, over
 * the top `topShare` of the picture: leaving out the band where burned-in subtitles are drawn, so the figure is
 * the encode's, not the text's (the source has none).
 */
export async function psnrAgainst(path: string, referencePath: string, topShare = 1): Promise<number> {
  const { video } = await summarizeMedia(path);
  const top = `crop=iw:trunc(ih*${topShare}/2)*2:0:0`;
  const { stderr } = await run(
    'ffmpeg',
    [
      '-hide_banner', '-nostats', '-i', path, '-i', referencePath,
      '-lavfi', `[1:v]scale=${video?.width ?? 0}:${video?.height ?? 0},${top}[reference];[0:v]${top}[output];[output][reference]psnr`,
      '-f', 'null', '-',
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const average = /PSNR .*average:([\d.]+|inf)/.exec(stderr)?.[1];
  if (average === undefined) throw new Error(`No PSNR in ffmpeg's output for ${path}: ${stderr.slice(-500)}`);
  return average === 'inf' ? Number.POSITIVE_INFINITY : Number(average);
}
