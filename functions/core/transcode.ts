import { z } from 'zod';
import { InputInvalidError } from './errors.ts';
import { TimingsSchema, type X264Preset } from './video.ts';

/**
 * The FFmpeg side of the pipeline, as pure functions: what ffprobe says about a file, how big the output
 * gets, the one ffmpeg command line, and how to read what ffmpeg prints while it works.
 * No I/O here: the worker (containers/ffmpeg/src/worker.ts) runs the processes.
 */

export interface Dimensions {
  width: number;
  height: number;
}

// ---- ffprobe ---------------------------------------------------------------------------------------

export interface ProbedVideoStream {
  /** Coded size, as stored: not yet turned by `rotation` nor stretched by `sampleAspectRatio`. */
  width: number;
  height: number;
  /** Display rotation in degrees, normalised to 0, 90, 180 or 270. */
  rotation: number;
  /** Pixel width / pixel height; 1 for square pixels (and when the file does not say). */
  sampleAspectRatio: number;
  pixFmt: string | undefined;
  codec: string | undefined;
}

export interface ProbeResult {
  durationSeconds: number | undefined;
  video: ProbedVideoStream | undefined;
  hasAudio: boolean;
}

/** Only the parts of `ffprobe -show_format -show_streams -of json` we read; everything else passes. */
const FfprobeStreamSchema = z.looseObject({
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  pix_fmt: z.string().optional(),
  sample_aspect_ratio: z.string().optional(),
  duration: z.string().optional(),
  disposition: z.looseObject({ attached_pic: z.number().optional() }).optional(),
  tags: z.looseObject({ rotate: z.string().optional() }).optional(),
  side_data_list: z
    .array(z.looseObject({ side_data_type: z.string().optional(), rotation: z.number().optional() }))
    .optional(),
});
const FfprobeOutputSchema = z.looseObject({
  streams: z.array(FfprobeStreamSchema).default([]),
  format: z.looseObject({ duration: z.string().optional() }).optional(),
});
type FfprobeStream = z.infer<typeof FfprobeStreamSchema>;

/**
 * Reads ffprobe's JSON (text or already parsed). Lenient by design: ffprobe prints `{}` for a file it
 * cannot read, which yields "no video, no audio, no duration" for the caller to judge.
 */
export function parseProbe(ffprobeJson: unknown): ProbeResult {
  let raw = ffprobeJson;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch (error) {
      throw new InputInvalidError('The file could not be inspected as a video', { cause: error });
    }
  }
  const parsed = FfprobeOutputSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InputInvalidError('The file could not be inspected as a video', { cause: parsed.error });
  }
  const { streams, format } = parsed.data;

  // Cover art in audio files is a one-frame "video" stream; it is not a video to subtitle.
  const videoStream = streams.find((stream) => stream.codec_type === 'video' && stream.disposition?.attached_pic !== 1);
  const video =
    videoStream && isPositive(videoStream.width) && isPositive(videoStream.height)
      ? {
          width: videoStream.width,
          height: videoStream.height,
          rotation: rotationOf(videoStream),
          sampleAspectRatio: parseRatio(videoStream.sample_aspect_ratio) ?? 1,
          pixFmt: videoStream.pix_fmt,
          codec: videoStream.codec_name,
        }
      : undefined;

  return {
    durationSeconds: positiveNumber(format?.duration) ?? positiveNumber(videoStream?.duration),
    video,
    hasAudio: streams.some((stream) => stream.codec_type === 'audio'),
  };
}

/**
 * The size a player shows: the coded size stretched by the pixel aspect ratio and turned by the rotation.
 * FFmpeg auto-rotates while decoding, so this is also the frame size our filters receive (and the SAR is
 * what `setsar=1` then bakes into real pixels).
 */
export function displayDimensions(video: ProbedVideoStream): Dimensions {
  const width = Math.round(video.width * video.sampleAspectRatio);
  const quarterTurn = video.rotation === 90 || video.rotation === 270;
  return quarterTurn ? { width: video.height, height: width } : { width, height: video.height };
}

function rotationOf(stream: FfprobeStream): number {
  // The display matrix is the current source of truth; FFmpeg before 5 exposed the same as a `rotate` tag.
  // Their sign conventions differ, which does not matter: only quarter turns change the displayed size.
  const matrix = stream.side_data_list?.find((data) => data.side_data_type === 'Display Matrix');
  const degrees = matrix?.rotation ?? (stream.tags?.rotate === undefined ? 0 : -Number(stream.tags.rotate));
  if (!Number.isFinite(degrees)) return 0;
  const quarterTurns = Math.round(degrees / 90);
  return (((quarterTurns % 4) + 4) % 4) * 90;
}

function parseRatio(value: string | undefined): number | undefined {
  const match = /^(\d+):(\d+)$/.exec(value ?? '');
  if (!match) return undefined;
  const ratio = Number(match[1]) / Number(match[2]);
  // "0:1" means unknown.
  return Number.isFinite(ratio) && ratio > 0 ? ratio : undefined;
}

function positiveNumber(value: string | undefined): number | undefined {
  const number = Number(value);
  return value !== undefined && Number.isFinite(number) && number > 0 ? number : undefined;
}

function isPositive(value: number | undefined): value is number {
  return value !== undefined && value > 0;
}

// ---- output size -----------------------------------------------------------------------------------

/**
 * The largest size that fits inside `box` with the source's aspect ratio, never larger than the source.
 * Both sides even (yuv420p subsamples chroma by 2) and at least 2.
 */
export function fitWithinBox(source: Dimensions, box: Dimensions): Dimensions {
  const scale = Math.min(box.width / source.width, box.height / source.height, 1);
  const fit = (sourceSide: number, boxSide: number) => {
    const largestAllowed = Math.max(2, floorToEven(Math.min(sourceSide, boxSide)));
    return Math.min(largestAllowed, Math.max(2, roundToEven(sourceSide * scale)));
  };
  return { width: fit(source.width, box.width), height: fit(source.height, box.height) };
}

function roundToEven(value: number): number {
  return 2 * Math.round(value / 2);
}

function floorToEven(value: number): number {
  return 2 * Math.floor(value / 2);
}

// ---- the ffmpeg command ----------------------------------------------------------------------------

/**
 * Escapes a value for use as a filter option inside an ffmpeg filtergraph string (`-vf`).
 *
 * FFmpeg unescapes twice: the graph parser first (where `\ ' [ ] , ;` are special), then the filter's
 * option parser (where `\ ' :` are special). So the value is quoted for the option parser, which keeps
 * `:` and spaces literal (a `'` inside becomes `'\''`), and that result is backslash-escaped for the graph.
 */
export function escapeFilterValue(value: string): string {
  const quotedForOptionParser = `'${value.replaceAll("'", "'\\''")}'`;
  return quotedForOptionParser.replace(/[\\'[\],;]/g, (special) => `\\${special}`);
}

export interface TranscodeArgsInput {
  inputPath: string;
  outputPath: string;
  subtitlesPath: string;
  fontsDir: string;
  fontName: string;
  width: number;
  height: number;
  crf: number;
  preset: X264Preset;
  hasAudio: boolean;
}

/**
 * One ffmpeg pass: scale, burn in the subtitles, encode H.264/AAC into a progressive-download MP4.
 *
 * Paths should be absolute: the subtitles filter opens its file through libavformat, which would read
 * `name:rest` as a protocol. FFmpeg's log level stays at its default (info) on purpose: that is where
 * libass reports missing fonts, and the worker's font guard reads those lines.
 */
/**
 * A source read over HTTP (a presigned S3 URL) survives dropped connections and S3's occasional 5xx:
 * ffmpeg reopens the stream at the byte it had reached, for up to 30 s, instead of failing an hour-long encode.
 */
const REMOTE_INPUT_OPTIONS = [
  '-reconnect', '1',
  '-reconnect_on_network_error', '1',
  '-reconnect_on_http_error', '5xx',
  '-reconnect_delay_max', '30',
];

function isRemote(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** A presigned URL is a credential: logs and messages keep its scheme, host and path, never its query. */
export function redactSignedUrls(text: string): string {
  return text.replace(/(https?:\/\/[^\s'"?]+)\?[^\s'"]*/gi, '$1?<signature redacted>');
}

export function buildTranscodeArgs(input: TranscodeArgsInput): string[] {
  const subtitles = [
    `filename=${escapeFilterValue(input.subtitlesPath)}`,
    `fontsdir=${escapeFilterValue(input.fontsDir)}`,
    `force_style=${escapeFilterValue(`FontName=${input.fontName}`)}`,
  ].join(':');
  // Scale before the burn-in so libass renders the text at output resolution (sharp, sized for it);
  // setsar=1 turns anamorphic sources into square pixels, so W x H is what players show.
  const videoFilter = `scale=${input.width}:${input.height},setsar=1,subtitles=${subtitles}`;

  return [
    '-hide_banner',
    '-nostdin',
    '-y',
    ...(isRemote(input.inputPath) ? REMOTE_INPUT_OPTIONS : []),
    '-i',
    input.inputPath,
    '-map',
    '0:v:0',
    // The trailing "?" keeps a video-only input valid.
    ...(input.hasAudio ? ['-map', '0:a:0?'] : []),
    '-vf',
    videoFilter,
    '-c:v',
    'libx264',
    '-preset',
    input.preset,
    '-crf',
    String(input.crf),
    '-pix_fmt',
    'yuv420p',
    ...(input.hasAudio ? ['-c:a', 'aac', '-b:a', '128k'] : ['-an']),
    // moov atom first: playback starts before the whole file is downloaded.
    '-movflags',
    '+faststart',
    '-progress',
    'pipe:1',
    '-nostats',
    input.outputPath,
  ];
}

// ---- progress --------------------------------------------------------------------------------------

export interface ProgressUpdate {
  /** How much of the output is written, in seconds of media; undefined before the first frame. */
  outTimeSeconds: number | undefined;
  /** 0–100, or undefined when the duration is unknown. */
  percent: number | undefined;
  /** ffmpeg printed `progress=end`. */
  finished: boolean;
}

/**
 * Reads one or more `-progress` blocks (key=value lines ending with `progress=continue|end`);
 * the last values win.
 */
export function parseProgress(chunk: string, durationSeconds: number | undefined): ProgressUpdate {
  let outTimeMicroseconds: number | undefined;
  let finished = false;
  for (const line of chunk.split(/\r?\n/)) {
    const separator = line.indexOf('=');
    if (separator < 0) continue;
    const key = line.slice(0, separator).trim();
    const value = line.slice(separator + 1).trim();
    // out_time_ms is microseconds too (a historical misnomer FFmpeg keeps for compatibility);
    // it is the only one older builds print.
    if (key === 'out_time_us' || (key === 'out_time_ms' && outTimeMicroseconds === undefined)) {
      const parsed = Number(value);
      if (value !== '' && Number.isFinite(parsed) && parsed >= 0) outTimeMicroseconds = parsed;
    } else if (key === 'progress') {
      finished = value === 'end';
    }
  }

  const outTimeSeconds = outTimeMicroseconds === undefined ? undefined : outTimeMicroseconds / 1e6;
  let percent: number | undefined;
  if (finished) percent = 100;
  else if (outTimeSeconds !== undefined && durationSeconds !== undefined && durationSeconds > 0) {
    percent = Math.min(100, Math.max(0, (outTimeSeconds / durationSeconds) * 100));
  }
  return { outTimeSeconds, percent, finished };
}

// ---- the font guard --------------------------------------------------------------------------------

/**
 * libass never fails the ffmpeg run over fonts: without a usable font ffmpeg exits 0 with a video that
 * simply has no subtitles. Its log lines are the only signal. Found by experiment (FFmpeg 5.1, libass 0.17):
 *
 * - no font at all for the style (empty fonts dir and an empty fontconfig, or a FontName nothing provides):
 *   `fontselect: failed to find any fallback with glyph 0x0 for font: (DejaVu Sans, 400, 0)`
 *   → nothing is drawn: fatal.
 * - a font is found but lacks some characters (CJK with only DejaVu installed):
 *   `Glyph 0x4E2D not found, selecting one more font for (…)` then
 *   `fontselect: failed to find any fallback with glyph 0x4E2D for font: (…)`
 *   → those characters are left out, the rest is drawn: reported, not fatal.
 * - `Glyph 0x1F600 not found, selecting one more font` followed by a successful `fontselect: (…) -> …`
 *   and `No usable fontconfig configuration file found, using fallback.` are both harmless on their own.
 * - `Error opening memory font '…'`: a file in the fonts dir that is not a font (others may still work).
 */
const NO_FONT_AT_ALL = /fontselect: failed to find any fallback with glyph 0x0 for font: (.*)$/;
const MISSING_GLYPH = /fontselect: failed to find any fallback with glyph 0x([0-9A-F]+)\b/i;
const UNREADABLE_FONT_FILE = /Error opening memory font '(.*)'/;

export type FontProblem =
  | { kind: 'no_font'; font: string }
  | { kind: 'missing_glyph'; codePoint: string }
  | { kind: 'unreadable_font_file'; file: string };

export function detectFontProblem(stderrLine: string): FontProblem | undefined {
  const noFont = NO_FONT_AT_ALL.exec(stderrLine);
  if (noFont) return { kind: 'no_font', font: noFont[1] ?? '' };
  const missingGlyph = MISSING_GLYPH.exec(stderrLine);
  if (missingGlyph) return { kind: 'missing_glyph', codePoint: `U+${(missingGlyph[1] ?? '').toUpperCase().padStart(4, '0')}` };
  const unreadable = UNREADABLE_FONT_FILE.exec(stderrLine);
  if (unreadable) return { kind: 'unreadable_font_file', file: unreadable[1] ?? '' };
  return undefined;
}

/** Files libass can load from a fonts dir (it does not look into subdirectories). */
export const FONT_FILE_PATTERN = /\.(ttf|otf|ttc|otc)$/i;

// ---- what the worker reports -------------------------------------------------------------------------

/** The Transcode task's output (SendTaskSuccess), read by RecordResult in statemachine/pipeline.asl.json. */
export const TranscodeOutputSchema = z.object({
  /** Seconds, 3 decimals. */
  duration: z.number(),
  width: z.number().int(),
  height: z.number().int(),
  /** "WxH" */
  resolution: z.string(),
  /** Bytes. */
  file_size: z.number().int(),
  s3_uri: z.string(),
  output_key: z.string(),
  timings: TimingsSchema,
  finished_at: z.iso.datetime(),
});
export type TranscodeOutput = z.infer<typeof TranscodeOutputSchema>;
