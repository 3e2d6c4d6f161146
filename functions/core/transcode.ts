import { z } from 'zod';
import { InputInvalidError } from './errors.ts';
import { JobCostSchema, SubtitleFilesSchema, TimingsSchema, type JobCost, type X264Preset } from './video.ts';

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
  /** Frames per second: `r_frame_rate` (the stream's base rate) and `avg_frame_rate`; undefined when unknown. */
  frameRate: { base: number | undefined; average: number | undefined };
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
  r_frame_rate: z.string().optional(),
  avg_frame_rate: z.string().optional(),
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
          frameRate: { base: parseFrameRate(videoStream.r_frame_rate), average: parseFrameRate(videoStream.avg_frame_rate) },
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

/** "30000/1001" → 29.97; "0/0" (unknown) → undefined. */
function parseFrameRate(value: string | undefined): number | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(value ?? '');
  if (!match) return undefined;
  const rate = Number(match[1]) / Number(match[2]);
  return Number.isFinite(rate) && rate > 0 ? rate : undefined;
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

// ---- frame rate ------------------------------------------------------------------------------------

/** The highest frame rate the output keeps; more only costs bits that players drop. */
export const MAX_OUTPUT_FRAME_RATE = 60;
const STANDARD_FRAME_RATES = [24000 / 1001, 24, 25, 30000 / 1001, 30, 48, 50, 60000 / 1001, 60];

/**
 * The constant frame rate to encode at, or undefined to keep the source's timing as it is.
 *
 * A constant-rate source keeps its rate. A variable-rate one (phones, screen recorders, web streams:
 * base and average rates differ), one faster than 60 fps, or one whose rate is unknown, is encoded at a
 * constant rate — its average, snapped to the standard rate within 3 % (29.97 rather than 29.94), at
 * most 60 — so players, editors and seeking see regular frames instead of a 1000-fps time base.
 */
export function outputFrameRate(video: Pick<ProbedVideoStream, 'frameRate'>): number | undefined {
  const { base, average } = video.frameRate;
  const rate = average ?? base;
  if (rate === undefined) return 30;
  const variable = base !== undefined && average !== undefined && Math.abs(base - average) / average > 0.01;
  if (!variable && rate <= MAX_OUTPUT_FRAME_RATE) return undefined;
  const capped = Math.min(rate, MAX_OUTPUT_FRAME_RATE);
  const distance = (candidate: number) => Math.abs(candidate - capped) / candidate;
  const nearest = STANDARD_FRAME_RATES.reduce((best, candidate) => (distance(candidate) < distance(best) ? candidate : best));
  return Math.round((distance(nearest) <= 0.03 ? nearest : capped) * 1000) / 1000;
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
  /** Undefined when no cue is left to burn in (all started after the video's end). */
  subtitlesPath: string | undefined;
  fontsDir: string;
  fontName: string;
  width: number;
  height: number;
  crf: number;
  preset: X264Preset;
  hasAudio: boolean;
  /** Encode at this constant frame rate (see outputFrameRate); undefined keeps the source's timing. */
  frameRate?: number | undefined;
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

// The worker redacts ffmpeg's output before it becomes a task failure's cause (not only a log line).
export { redactSignedUrls } from './redact.ts';

export function buildTranscodeArgs(input: TranscodeArgsInput): string[] {
  // Scale before the burn-in so libass renders the text at output resolution (sharp, sized for it);
  // setsar=1 turns anamorphic sources into square pixels, so W x H is what players show.
  const filters = [`scale=${input.width}:${input.height}`, 'setsar=1'];
  if (input.subtitlesPath !== undefined) {
    const subtitles = [
      `filename=${escapeFilterValue(input.subtitlesPath)}`,
      `fontsdir=${escapeFilterValue(input.fontsDir)}`,
      `force_style=${escapeFilterValue(`FontName=${input.fontName}`)}`,
    ].join(':');
    filters.push(`subtitles=${subtitles}`);
  }
  const videoFilter = filters.join(',');

  return [
    '-hide_banner',
    '-nostdin',
    '-y',
    // A decoding error ends the run instead of being skipped: a damaged or truncated upload fails as
    // input_invalid rather than coming out as a shorter or broken video (see classifyFfmpegFailure).
    '-xerror',
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
    // 8-bit 4:2:0 whatever the source (10-bit, 4:2:2, 4:4:4): what every player decodes.
    '-pix_fmt',
    'yuv420p',
    ...(input.frameRate === undefined ? [] : ['-fps_mode', 'cfr', '-r', String(input.frameRate)]),
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

// ---- why ffmpeg failed -------------------------------------------------------------------------------

/**
 * What an ffmpeg failure was about, from the last lines of its stderr (found by experiment, FFmpeg 5.1):
 * - `input`: the source cannot be decoded to its end — a truncated MP4 whose index promises more than the
 *   file holds (`Invalid NAL unit size`, `Error splitting the input into NAL units`, `partial file`),
 *   corrupt packets, invalid data. With `-xerror` these end the run.
 * - `storage`: reading the source over HTTP failed for good (5xx after the reconnects, connection errors).
 * - `encoder`: anything else (our command, the encoder, the disk): a transcode_failed.
 */
export type FfmpegFailureKind = 'input' | 'storage' | 'encoder';

const INPUT_ERRORS =
  /Invalid NAL unit|Error splitting the input|partial file|Invalid data found|error while decoding|corrupt|missing picture|moov atom not found|Packet mismatch|Truncating packet|Header missing|EBML header parsing failed|End of file/i;
const STORAGE_ERRORS = /HTTP error 5\d\d|Server returned 5\d\d|Connection (reset|refused|timed out)|I\/O error|Network is unreachable|Broken pipe/i;

export function classifyFfmpegFailure(stderrTail: readonly string[]): FfmpegFailureKind {
  if (stderrTail.some((line) => STORAGE_ERRORS.test(line))) return 'storage';
  if (stderrTail.some((line) => INPUT_ERRORS.test(line))) return 'input';
  return 'encoder';
}

/**
 * The output's duration against what the source declared: an upload that ends early (an MP4 cut short
 * whose index still announces the full length) decodes "fine" up to where its data stops. More than 10 %
 * and more than a second missing is a truncated upload; the tolerance absorbs streams of unequal length.
 */
export function truncationOf(sourceSeconds: number | undefined, outputSeconds: number | undefined): string | undefined {
  if (sourceSeconds === undefined || outputSeconds === undefined) return undefined;
  const missing = sourceSeconds - outputSeconds;
  if (missing <= 1 || missing <= sourceSeconds * 0.1) return undefined;
  return `The uploaded video is truncated: it holds ${formatClock(outputSeconds)} of the ${formatClock(sourceSeconds)} it declares`;
}

export function formatClock(totalSeconds: number): string {
  const whole = Math.max(0, Math.round(totalSeconds));
  const pad = (value: number) => String(value).padStart(2, '0');
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor(whole / 60) % 60;
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(whole % 60)}` : `${minutes}:${pad(whole % 60)}`;
}

// ---- what the job cost ---------------------------------------------------------------------------------

/** Fargate on-demand, Linux/x86, us-east-1 (per hour). Override with the worker's FARGATE_*_HOUR_USD. */
export const FARGATE_PRICES = { vcpuHourUsd: 0.04048, gbHourUsd: 0.004445 } as const;

/**
 * Fargate bills the task's vCPU and memory per second from the start of the image pull until it stops,
 * with a one-minute minimum. `seconds` is what the worker measured of it (its own run time).
 */
export function estimateFargateCost(input: {
  vcpu: number;
  memoryGb: number;
  seconds: number;
  prices?: { vcpuHourUsd: number; gbHourUsd: number };
}): JobCost {
  const prices = input.prices ?? FARGATE_PRICES;
  const billedSeconds = Math.max(60, Math.ceil(input.seconds));
  const usd = ((input.vcpu * prices.vcpuHourUsd + input.memoryGb * prices.gbHourUsd) * billedSeconds) / 3600;
  return {
    estimated_usd: Math.round(usd * 1e6) / 1e6,
    vcpu: input.vcpu,
    memory_gb: input.memoryGb,
    billed_seconds: billedSeconds,
  };
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
  cost: JobCostSchema,
  /** The subtitles next to the MP4, as burned in (cues after the end dropped). */
  subtitle_files: SubtitleFilesSchema,
  cue_count: z.number().int(),
  finished_at: z.iso.datetime(),
});
export type TranscodeOutput = z.infer<typeof TranscodeOutputSchema>;
