import { execFile } from 'node:child_process';
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
