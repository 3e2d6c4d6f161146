/**
 * What ffprobe says about a file: the source before the encode (to size the output and judge the upload),
 * the output after it (to report what was made, and to catch an upload that ended early).
 */
import { z } from 'zod';
import { InputInvalidError, TranscodeFailedError, TranscodeTimeoutError } from '../../../functions/core/errors.ts';
import { redactSignedUrls } from './media-storage.ts';
import { superviseProcess } from './process-supervision.ts';

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
  /** The stream's absolute index in the file (what `-map 0:N` names); the first video stream when unknown. */
  index?: number | undefined;
  /** The first frame's timestamp in seconds, as the file stores it (what a segment cut is measured from). */
  startSeconds?: number | undefined;
  /** ffprobe's field_order: "progressive", "tt", "bb", "tb", "bt" or unknown (undefined). */
  fieldOrder?: string | undefined;
  /**
   * Not from ffprobe: what idet found in an interlaced stream (see field-motion.ts): 'fields' for a new
   * instant in every field (video shot interlaced), 'frames' for film carried as fields; undefined if not looked.
   */
  fieldMotion?: 'fields' | 'frames' | undefined;
  /** Colour description as ffprobe names it ("tv"/"pc", "bt709", ...); undefined when unknown. */
  color?: { range?: string | undefined; space?: string | undefined; primaries?: string | undefined; transfer?: string | undefined };
}

/** One audio track of the source, for choosing which one the output keeps. */
export interface ProbedAudioStream {
  index: number;
  codec: string | undefined;
  channels: number | undefined;
  /** ISO 639-2 from the `language` tag ("eng"), undefined when untagged or "und". */
  language: string | undefined;
  isDefault: boolean;
  /** Bits per second, when the container says. */
  bitRate: number | undefined;
  sampleRate: number | undefined;
}

export interface ProbeResult {
  durationSeconds: number | undefined;
  /** The file's start (its earliest stream's first timestamp): a one-pass encode's time zero. */
  startSeconds?: number | undefined;
  video: ProbedVideoStream | undefined;
  hasAudio: boolean;
  /** Every audio track, in file order. */
  audio: ProbedAudioStream[];
  /** The file's size in bytes, when ffprobe could tell. */
  sizeBytes?: number | undefined;
  /**
   * With `firstPacketsSeconds`: the byte offset of each stream's first packet, by stream index (how far
   * apart the streams are stored: see source-reading.ts).
   */
  firstPacketPositions?: Map<number, number>;
}

export type ProbedVideo = ProbeResult & { video: ProbedVideoStream };

export interface ProbeOptions {
  ffprobePath: string;
  /** Options for reading the input (e.g. pinnedSourceOptions' If-Match header), before it. */
  inputOptions?: string[];
  /** ffprobe reads a few hundred KB; this long means it hangs. */
  timeoutMs: number;
  /** Also list the packets of the first this many seconds, for firstPacketPositions. */
  firstPacketsSeconds?: number;
  signal: AbortSignal;
}

/**
 * Probes the file or URL at `location`. Only a readable video passes; what else it is depends on `role`:
 * an upload ffprobe cannot read is the user's problem (InputInvalidError), an output it cannot read is ours
 * (TranscodeFailedError).
 */
export async function probe(location: string, role: 'source' | 'output', options: ProbeOptions): Promise<ProbedVideo> {
  const stdout: string[] = [];
  let lastErrorLine = '';
  const exit = await superviseProcess(
    options.ffprobePath,
    ['-v', 'error', ...(options.inputOptions ?? []), ...packetOptions(options.firstPacketsSeconds), '-show_format', '-show_streams', '-of', 'json', location],
    {
      name: 'ffprobe',
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      onStdoutLine: (line) => stdout.push(line),
      onStderrLine: (line) => {
        if (line.trim() !== '') lastErrorLine = line.trimEnd();
      },
    },
  ).exited;
  if (exit.timedOut) {
    throw new TranscodeTimeoutError(`Inspecting the upload took longer than ${Math.round(options.timeoutMs / 1000)} s`);
  }

  const result = exit.code === 0 ? parseProbe(stdout.join('\n')) : undefined;
  if (result?.video !== undefined) return { ...result, video: result.video };
  if (role === 'output') throw new TranscodeFailedError('FFmpeg produced an output that is not a readable video');
  if (result !== undefined) throw new InputInvalidError('The uploaded file has no video stream');
  // "…/source.mp4: Invalid data found when processing input": the location means nothing to users.
  const reason = lastErrorLine.startsWith(`${location}: `) ? lastErrorLine.slice(location.length + 2) : lastErrorLine;
  const shown = redactSignedUrls(reason).slice(0, 200);
  throw new InputInvalidError(`The uploaded file could not be read as a video${shown ? ` (${shown})` : ''}`);
}

function packetOptions(seconds: number | undefined): string[] {
  return seconds === undefined ? [] : ['-read_intervals', `%+${seconds}`, '-show_entries', 'packet=stream_index,pos'];
}

/** Only the parts of `ffprobe -show_format -show_streams -of json` we read; everything else passes. */
const FfprobeStreamSchema = z.looseObject({
  index: z.number().optional(),
  channels: z.number().optional(),
  bit_rate: z.string().optional(),
  sample_rate: z.string().optional(),
  field_order: z.string().optional(),
  color_range: z.string().optional(),
  color_space: z.string().optional(),
  color_primaries: z.string().optional(),
  color_transfer: z.string().optional(),
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  pix_fmt: z.string().optional(),
  sample_aspect_ratio: z.string().optional(),
  r_frame_rate: z.string().optional(),
  avg_frame_rate: z.string().optional(),
  duration: z.string().optional(),
  start_time: z.string().optional(),
  disposition: z.looseObject({ attached_pic: z.number().optional(), default: z.number().optional() }).optional(),
  tags: z.looseObject({ rotate: z.string().optional(), language: z.string().optional() }).optional(),
  side_data_list: z
    .array(z.looseObject({ side_data_type: z.string().optional(), rotation: z.number().optional() }))
    .optional(),
});
const FfprobeOutputSchema = z.looseObject({
  streams: z.array(FfprobeStreamSchema).default([]),
  format: z.looseObject({ duration: z.string().optional(), size: z.string().optional(), start_time: z.string().optional() }).optional(),
  packets: z.array(z.looseObject({ stream_index: z.number().optional(), pos: z.string().optional() })).optional(),
});
type FfprobeStream = z.infer<typeof FfprobeStreamSchema>;

/** Codecs of cover art and stills: a stream of one of these is the video only when nothing else is. */
const IMAGE_CODECS = new Set(['mjpeg', 'png', 'bmp', 'gif', 'webp', 'tiff']);

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
  const { streams, format, packets } = parsed.data;

  // Cover art (in audio files, or an MKV/MP4 whose first video stream is a still) is a one-frame "video"
  // stream flagged attached_pic; it is not the video to subtitle.
  // An MKV can also carry the still as an ordinary first track (an MJPEG or PNG of one frame, no flag):
  // an image-codec stream is passed over when a stream of a video codec follows.
  const videoStreams = streams.filter((stream) => stream.codec_type === 'video' && stream.disposition?.attached_pic !== 1);
  const videoStream = videoStreams.find((stream) => !IMAGE_CODECS.has(stream.codec_name ?? '')) ?? videoStreams[0];
  const video =
    videoStream && isPositive(videoStream.width) && isPositive(videoStream.height)
      ? {
          width: videoStream.width,
          height: videoStream.height,
          rotation: rotationOf(videoStream),
          sampleAspectRatio: positiveRatio(videoStream.sample_aspect_ratio, ':') ?? 1,
          pixFmt: videoStream.pix_fmt,
          codec: videoStream.codec_name,
          frameRate: { base: positiveRatio(videoStream.r_frame_rate, '/'), average: positiveRatio(videoStream.avg_frame_rate, '/') },
          index: videoStream.index,
          startSeconds: finiteNumber(videoStream.start_time),
          fieldOrder: known(videoStream.field_order),
          color: {
            range: known(videoStream.color_range),
            space: known(videoStream.color_space),
            primaries: known(videoStream.color_primaries),
            transfer: known(videoStream.color_transfer),
          },
        }
      : undefined;

  return {
    durationSeconds: positiveNumber(format?.duration) ?? positiveNumber(videoStream?.duration),
    startSeconds: finiteNumber(format?.start_time),
    sizeBytes: positiveNumber(format?.size),
    ...(packets === undefined ? {} : { firstPacketPositions: firstPositions(packets) }),
    video,
    hasAudio: streams.some((stream) => stream.codec_type === 'audio'),
    audio: streams.flatMap((stream, position) =>
      stream.codec_type === 'audio'
        ? [{
            index: stream.index ?? position,
            codec: stream.codec_name,
            channels: isPositive(stream.channels) ? stream.channels : undefined,
            language: known(stream.tags?.language?.toLowerCase(), ['und']),
            isDefault: stream.disposition?.default === 1,
            bitRate: positiveNumber(stream.bit_rate),
            sampleRate: positiveNumber(stream.sample_rate),
          }]
        : [],
    ),
  };
}

function firstPositions(packets: { stream_index?: number | undefined; pos?: string | undefined }[]): Map<number, number> {
  const positions = new Map<number, number>();
  for (const packet of packets) {
    const position = Number(packet.pos);
    if (packet.stream_index === undefined || packet.pos === undefined || !Number.isFinite(position)) continue;
    if (!positions.has(packet.stream_index)) positions.set(packet.stream_index, position);
  }
  return positions;
}

/** ffprobe writes "unknown" (or leaves the field out) for what the file does not say. */
function known(value: string | undefined, alsoUnknown: string[] = []): string | undefined {
  return value === undefined || value === '' || value === 'unknown' || alsoUnknown.includes(value) ? undefined : value;
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

/** "64:45" with ':' (a sample aspect ratio), "30000/1001" with '/' (a frame rate); "0:1", "0/0" mean unknown. */
function positiveRatio(value: string | undefined, separator: ':' | '/'): number | undefined {
  const match = new RegExp(`^(\\d+)${separator}(\\d+)$`).exec(value ?? '');
  if (!match) return undefined;
  const ratio = Number(match[1]) / Number(match[2]);
  return Number.isFinite(ratio) && ratio > 0 ? ratio : undefined;
}

function positiveNumber(value: string | undefined): number | undefined {
  const number = Number(value);
  return value !== undefined && Number.isFinite(number) && number > 0 ? number : undefined;
}

/** A start time may be 0 or negative (an edit list); "N/A" is unknown. */
function finiteNumber(value: string | undefined): number | undefined {
  const number = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(number) ? number : undefined;
}

function isPositive(value: number | undefined): value is number {
  return value !== undefined && value > 0;
}
