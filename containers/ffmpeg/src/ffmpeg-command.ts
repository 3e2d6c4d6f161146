/**
 * The one ffmpeg command line, and what it is decided from: the size the output gets inside its box and
 * the frame rate it is encoded at, both read off the probed source.
 */
import { quotedEtag } from './media-storage.ts';
import type { X264Preset } from '../../../functions/core/video.ts';
import type { ProbedVideoStream } from './probe.ts';

export interface Dimensions {
  width: number;
  height: number;
}

// ---- output size -----------------------------------------------------------------------------------

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
const MAX_OUTPUT_FRAME_RATE = 60;
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

// ---- the command -----------------------------------------------------------------------------------

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
  /** The ETag of the upload the workflow claimed: every read of a remote source is pinned to it. */
  sourceEtag?: string | undefined;
}

/**
 * ffmpeg and ffprobe send this with every HTTP request for a remote source: S3 answers 412 instead of bytes
 * of another object, should the upload be written over mid-encode (If-Match needs no signature).
 */
export function pinnedSourceOptions(location: string, etag: string | undefined): string[] {
  return isRemote(location) && etag !== undefined ? ['-headers', `If-Match: ${quotedEtag(etag)}\r\n`] : [];
}

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

/**
 * One ffmpeg pass: scale, burn in the subtitles, encode H.264/AAC into a progressive-download MP4.
 *
 * Paths should be absolute: the subtitles filter opens its file through libavformat, which would read
 * `name:rest` as a protocol. FFmpeg's log level stays at its default (info) on purpose: that is where
 * libass reports missing fonts, and the worker's font guard reads those lines.
 */
/**
 * libass sizes text from the frame height (the default style's 16 of a 288-line script). For portrait
 * video that makes the text as tall as on a landscape frame of the same height but with half the width to
 * wrap in, so a long cue covers a third of the picture: the size follows the shorter side instead.
 */
export const DEFAULT_SUBTITLE_FONT_SIZE = 16;
function portraitFontSize(width: number, height: number): string {
  if (height <= width) return '';
  return `,Fontsize=${Math.round((DEFAULT_SUBTITLE_FONT_SIZE * width * 10) / height) / 10}`;
}

export function buildTranscodeArgs(input: TranscodeArgsInput): string[] {
  // Scale before the burn-in so libass renders the text at output resolution (sharp, sized for it);
  // setsar=1 turns anamorphic sources into square pixels, so W x H is what players show.
  const filters = [`scale=${input.width}:${input.height}`, 'setsar=1'];
  if (input.subtitlesPath !== undefined) {
    const subtitles = [
      `filename=${escapeFilterValue(input.subtitlesPath)}`,
      `fontsdir=${escapeFilterValue(input.fontsDir)}`,
      `force_style=${escapeFilterValue(`FontName=${input.fontName}${portraitFontSize(input.width, input.height)}`)}`,
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
    ...pinnedSourceOptions(input.inputPath, input.sourceEtag),
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
