/**
 * The one ffmpeg command line, and what it is decided from: the size the output gets inside its box and
 * the frame rate it is encoded at, both read off the probed source.
 */
import { quotedEtag } from './media-storage.ts';
import type { X264Preset } from '../../../functions/core/video.ts';
import { audioArgs, type AudioPlan } from './audio-plan.ts';
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
/** The lowest rate a variable or implausible source is encoded at (sparse timestamps: a slideshow, a still). */
const MIN_RETIMED_FRAME_RATE = 24;
const STANDARD_FRAME_RATES = [24000 / 1001, 24, 25, 30000 / 1001, 30, 48, 50, 60000 / 1001, 60];

/** True for a source whose fields are stored interleaved (ffprobe field_order tt, bb, tb or bt). */
export function isInterlaced(video: Partial<Pick<ProbedVideoStream, 'fieldOrder'>>): boolean {
  return video.fieldOrder !== undefined && ['tt', 'bb', 'tb', 'bt'].includes(video.fieldOrder);
}

/**
 * Interlaced video at up to 30 frames/s is deinterlaced at its field rate (1080i50: 50 fields/s of motion
 * become 50p); film carried as fields (fieldMotion 'frames': 25PsF) and a stream already reported at more
 * than 30 frames/s are deinterlaced frame for frame (bwdif keeps the woven lines where nothing moves).
 */
function deinterlacesToFieldRate(video: Partial<Pick<ProbedVideoStream, 'fieldOrder' | 'fieldMotion'>> & Pick<ProbedVideoStream, 'frameRate'>): boolean {
  const rate = video.frameRate.base ?? video.frameRate.average;
  return isInterlaced(video) && video.fieldMotion !== 'frames' && (rate === undefined || rate <= 30);
}

/**
 * The constant frame rate to encode at, or undefined to keep the source's timing as it is.
 *
 * A constant-rate source between 1 and 60 fps keeps its rate (23.976 stays 23.976, 60 stays 60), doubled
 * when it is deinterlaced at its field rate. Otherwise the output gets a standard rate, never a raw average:
 * - variable rate (phones, screen recorders: base and average differ): the standard rate within 3 % of
 *   the average if there is one, else the stream's base rate when that is a standard rate (15 then 30 fps
 *   becomes 30, every frame kept), else the standard rate nearest the average;
 * - unknown, sparse (< 1 fps) or absurd (> 60 fps) timestamps: the nearest standard rate after clamping to
 *   24–60 fps, so a sparse source is never encoded at 0.001 fps nor an unknown one at 0.
 */
export function outputFrameRate(video: Pick<ProbedVideoStream, 'frameRate'> & Partial<Pick<ProbedVideoStream, 'fieldOrder' | 'fieldMotion'>>): number | undefined {
  const factor = deinterlacesToFieldRate(video) ? 2 : 1;
  const base = video.frameRate.base === undefined ? undefined : video.frameRate.base * factor;
  const average = video.frameRate.average === undefined ? undefined : video.frameRate.average * factor;
  const rate = average ?? base;
  if (rate === undefined) return 30;
  const variable = base !== undefined && average !== undefined && Math.abs(base - average) / average > 0.01;
  const plausible = (value: number) => value >= 1 && value <= MAX_OUTPUT_FRAME_RATE;
  if (!variable && plausible(rate)) return factor === 1 ? undefined : rounded(rate);
  const distance = (candidate: number, value: number) => Math.abs(candidate - value) / candidate;
  const nearestTo = (value: number) =>
    STANDARD_FRAME_RATES.reduce((best, candidate) => (distance(candidate, value) < distance(best, value) ? candidate : best));
  if (variable && plausible(rate) && distance(nearestTo(rate), rate) <= 0.03) return rounded(nearestTo(rate));
  if (variable && base !== undefined && plausible(base) && distance(nearestTo(base), base) <= 0.001) return rounded(nearestTo(base));
  return rounded(nearestTo(Math.min(Math.max(rate, MIN_RETIMED_FRAME_RATE), MAX_OUTPUT_FRAME_RATE)));
}

function rounded(rate: number): number {
  return Math.round(rate * 1000) / 1000;
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
  /** The burn-in's ASS script; undefined when no cue is left to burn in (all started after the video's end). */
  subtitlesPath: string | undefined;
  fontsDir: string;
  width: number;
  height: number;
  crf: number;
  preset: X264Preset;
  hasAudio: boolean;
  /** The probed source video: which stream to map, whether to deinterlace, its colour range and tags. */
  video?: ProbedVideoStream | undefined;
  /** The audio track to keep and how (see planAudio); without it the first track is encoded at 128k. */
  audio?: AudioPlan | undefined;
  /** Encode at this constant frame rate (see outputFrameRate); undefined keeps the source's timing. */
  frameRate?: number | undefined;
  /**
   * The source's duration: a retimed output (frameRate set) is cut there, so the last frame of sparse
   * timestamps is not held for one more source interval (a 4 s source saved as 6 s).
   */
  durationSeconds?: number | undefined;
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

/** Everything that goes before `-i` for reading the source: reconnects for a URL, the ETag pin. */
export function sourceInputOptions(location: string, etag: string | undefined): string[] {
  return [...(isRemote(location) ? REMOTE_INPUT_OPTIONS : []), ...pinnedSourceOptions(location, etag)];
}

/** A URL (the presigned source) rather than a path on the task's disk. */
export function isRemote(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/**
 * One ffmpeg pass: scale, burn in the subtitles, encode H.264/AAC into a progressive-download MP4.
 *
 * `subtitlesPath` is the ASS script of ass-script.ts (the style's font and size are in it). Paths should be
 * absolute: the ass filter opens its file through libavformat, which would read `name:rest` as a protocol.
 * FFmpeg's log level stays at its default (info) on purpose: that is where libass reports missing fonts, and
 * the worker's font guard reads those lines.
 */
export function buildTranscodeArgs(input: TranscodeArgsInput): string[] {
  const video = input.video;
  return [
    '-hide_banner',
    '-nostdin',
    '-y',
    // A decoding error ends the run instead of being skipped: a damaged or truncated upload fails as
    // input_invalid rather than coming out as a shorter or broken video (see classifyFfmpegFailure).
    '-xerror',
    ...sourceInputOptions(input.inputPath, input.sourceEtag),
    '-i',
    input.inputPath,
    '-map',
    videoStreamMap(video),
    // The trailing "?" keeps a video-only input valid.
    ...(input.audio !== undefined ? ['-map', `0:${input.audio.kept.index}`] : input.hasAudio ? ['-map', '0:a:0?'] : []),
    '-vf',
    videoFilters(input).join(','),
    ...videoCodecArgs(input),
    ...(input.frameRate === undefined ? [] : ['-fps_mode', 'cfr', '-r', String(input.frameRate)]),
    ...(input.frameRate === undefined || input.durationSeconds === undefined ? [] : ['-t', input.durationSeconds.toFixed(3)]),
    ...(video === undefined ? [] : colourArgs(video)),
    ...audioArgs(input),
    // moov atom first: playback starts before the whole file is downloaded.
    '-movflags',
    '+faststart',
    ...PROGRESS_ARGS,
    input.outputPath,
  ];
}

/** ffmpeg's `-progress` on stdout, which encode.ts reads; no stats line on stderr. */
export const PROGRESS_ARGS = ['-progress', 'pipe:1', '-nostats'];

/** `-map` for the video: the probed stream, else the first. */
export function videoStreamMap(video: ProbedVideoStream | undefined): string {
  return video?.index === undefined ? '0:v:0' : `0:${video.index}`;
}

/**
 * The picture's filters, in order: deinterlace, crop an odd square-pixel edge, scale into the box, burn in.
 * Scale before the burn-in so libass renders the text at output resolution (sharp, sized for it);
 * setsar=1 turns anamorphic sources into square pixels, so W x H is what players show.
 */
export function videoFilters(input: Pick<TranscodeArgsInput, 'video' | 'width' | 'height' | 'subtitlesPath' | 'fontsDir'>): string[] {
  const video = input.video;
  const filters: string[] = [];
  // Interlaced sources are deinterlaced first (bwdif, at field rate up to 30 frames/s: see outputFrameRate).
  if (video !== undefined && isInterlaced(video)) {
    filters.push(`bwdif=mode=${deinterlacesToFieldRate(video) ? 'send_field' : 'send_frame'}:deint=all`);
  }
  // An odd-sized square-pixel source that fits its box loses its last row or column instead of being
  // resampled by a fraction of a pixel (a blur over the whole picture).
  if (video !== undefined && video.sampleAspectRatio === 1) {
    const shown = displayDimensions(video);
    const odd = shown.width % 2 === 1 || shown.height % 2 === 1;
    if (odd && input.width === floorToEven(shown.width) && input.height === floorToEven(shown.height)) {
      filters.push(`crop=${input.width}:${input.height}:0:0`);
    }
  }
  // Full-range sources (VP9, JPEG-style yuvj) are converted to the limited range every player expects.
  filters.push(`scale=${input.width}:${input.height}${video !== undefined && isFullRange(video) ? ':out_range=tv' : ''}`, 'setsar=1');
  if (input.subtitlesPath !== undefined) {
    // Complex shaping (HarfBuzz): Indic conjuncts and reordered vowel signs, not FriBidi alone (ass-script.ts).
    filters.push(`ass=filename=${escapeFilterValue(input.subtitlesPath)}:fontsdir=${escapeFilterValue(input.fontsDir)}:shaping=complex`);
  }
  return filters;
}

/** H.264 at the job's preset and CRF, in 8-bit 4:2:0 whatever the source (10-bit, 4:2:2, 4:4:4): what every player decodes. */
export function videoCodecArgs(input: Pick<TranscodeArgsInput, 'preset' | 'crf'>): string[] {
  return ['-c:v', 'libx264', '-preset', input.preset, '-crf', String(input.crf), '-pix_fmt', 'yuv420p'];
}

function isFullRange(video: ProbedVideoStream): boolean {
  return video.color?.range === 'pc' || (video.pixFmt?.startsWith('yuvj') ?? false);
}

/**
 * The output is tagged limited range, and keeps the source's primaries, transfer and matrix when known.
 * A converted full-range source without a matrix tag gets the one players assume for its size (BT.709 from
 * 720 lines, BT.601 below): the range is only written into the H.264 stream together with a colour description.
 */
export function colourArgs(video: ProbedVideoStream): string[] {
  const { primaries, transfer } = video.color ?? {};
  const space = video.color?.space ?? (isFullRange(video) ? (Math.min(video.width, video.height) >= 720 ? 'bt709' : 'smpte170m') : undefined);
  return [
    '-color_range', 'tv',
    ...(primaries === undefined ? [] : ['-color_primaries', primaries]),
    ...(transfer === undefined ? [] : ['-color_trc', transfer]),
    // An RGB source's "gbr" matrix does not describe the YUV output.
    ...(space === undefined || space === 'gbr' ? [] : ['-colorspace', space]),
  ];
}
