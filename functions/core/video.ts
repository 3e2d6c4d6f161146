import { z } from 'zod';

/**
 * The video record: one item per uploaded video in the videos table.
 * Field names follow the service vidp replaces (snake_case), so existing clients keep working.
 */

/**
 * `queued`: claimed by the workflow, waiting for its encode task to start (Fargate placing it and pulling the
 * image on AWS; a free slot under LOCAL_MAX_TASKS on one machine). `processing`: the worker is on it.
 */
export const VIDEO_STATUSES = ['awaiting_upload', 'queued', 'processing', 'saved', 'failed'] as const;
export const VideoStatusSchema = z.enum(VIDEO_STATUSES);
export type VideoStatus = z.infer<typeof VideoStatusSchema>;

/** The statuses of a job under way: its execution runs, and may have a task to stop. */
export const IN_FLIGHT_STATUSES = ['queued', 'processing'] as const satisfies readonly VideoStatus[];
export function isInFlight(status: VideoStatus | undefined): boolean {
  return (IN_FLIGHT_STATUSES as readonly string[]).includes(status ?? '');
}

/** Output boxes: the video is scaled to fit inside, keeping its aspect ratio. */
export const RESOLUTION_PRESETS = {
  '360p': { width: 640, height: 360 },
  '480p': { width: 854, height: 480 },
  '720p': { width: 1280, height: 720 },
  '1080p': { width: 1920, height: 1080 },
} as const;
export const ResolutionSchema = z.enum(['360p', '480p', '720p', '1080p']);
export type Resolution = z.infer<typeof ResolutionSchema>;
export const DEFAULT_RESOLUTION: Resolution = '720p';

/**
 * Below this the encode is (near-)lossless: x264 is visually lossless around 17-18 already, and each step
 * down grows the file by ~12 % for nothing a viewer sees, so CRF 0-11 mostly buys hours of billed encoding
 * and a file the task's disk may not hold.
 */
export const CRF_MIN = 12;
export const CRF_MAX = 51;
export const DEFAULT_CRF = 23;
export const CrfSchema = z.number().int().min(CRF_MIN).max(CRF_MAX);

/** Subtitle characters no font has: `warn` burns them (as boxes) with a warning on the record, `fail` ends the job. */
export const MissingGlyphsSchema = z.enum(['warn', 'fail']);
export type MissingGlyphsMode = z.infer<typeof MissingGlyphsSchema>;
export const DEFAULT_MISSING_GLYPHS: MissingGlyphsMode = 'warn';

/** BCP 47's "undetermined": no language given, the default faces draw the subtitles. */
export const UNDETERMINED_LANGUAGE = 'und';

/**
 * The subtitles' language as a BCP 47 tag (Whisper's "zh", "ja", or "zh-Hant", "pt-BR"), stored canonical
 * ("zh-hant" → "zh-Hant"). It picks the face where languages share code points (Chinese, Japanese, Korean).
 */
export const SubtitleLanguageSchema = z
  .string()
  .trim()
  .max(35)
  .transform((tag, context) => {
    try {
      const [canonical] = Intl.getCanonicalLocales(tag);
      if (canonical !== undefined) return canonical;
    } catch {
      // reported below
    }
    context.addIssue({ code: 'custom', message: 'must be a BCP 47 language tag such as "en", "zh-Hant" or "ja"' });
    return z.NEVER;
  });

/** libx264 presets, fastest first. */
export const X264_PRESETS = [
  'ultrafast',
  'superfast',
  'veryfast',
  'faster',
  'fast',
  'medium',
  'slow',
  'slower',
  'veryslow',
] as const;
export const X264PresetSchema = z.enum(X264_PRESETS);
export type X264Preset = z.infer<typeof X264PresetSchema>;

/**
 * A filename as users name files, in any script (emoji and right-to-left marks too: playback encodes it for
 * the Content-Disposition header), but without control characters (NUL, CR/LF, DEL, C1), which no file
 * system or header takes.
 */
export const FilenameSchema = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .refine((name) => !/\p{Cc}/u.test(name), 'must not contain control characters (NUL, line breaks, tabs, DEL)');

/** `type/subtype` with optional parameters, as RFC 9110 writes a media type: never CR/LF or NUL. */
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(\\s*;\\s*${TOKEN}=(${TOKEN}|"[^"\\\\\\p{Cc}]*"))*$`, 'u');
export const ContentTypeSchema = z.string().trim().min(1).max(255).regex(MEDIA_TYPE, 'must be a media type such as video/mp4');

export { SOURCE_EXTENSIONS } from './source-media.ts';

export const VideoErrorSchema = z.object({ code: z.string(), message: z.string() });
export type VideoError = z.infer<typeof VideoErrorSchema>;

export const SubtitlesSpecSchema = z.discriminatedUnion('source', [
  z.object({
    source: z.literal('upload'),
    /** Where the client uploads the SRT. */
    key: z.string(),
  }),
  z.object({
    source: z.literal('url'),
    /** The subtitle service's address for this video's subtitles, fetched by the workflow. */
    url: z.string(),
  }),
]);
export type SubtitlesSpec = z.infer<typeof SubtitlesSpecSchema>;

export const MULTIPART_MIN_PART_BYTES = 5 * 1024 * 1024;
export const MULTIPART_MAX_PARTS = 10_000;

export const UploadSpecSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('POST') }),
  z.object({
    method: z.literal('MULTIPART'),
    upload_id: z.string(),
    part_size: z.number().int(),
    part_count: z.number().int(),
  }),
]);
export type UploadSpec = z.infer<typeof UploadSpecSchema>;

export const TimingsSchema = z.object({
  download_ms: z.number(),
  probe_ms: z.number(),
  encode_ms: z.number(),
  upload_ms: z.number(),
  total_ms: z.number(),
});
export type Timings = z.infer<typeof TimingsSchema>;

/** One status change of a video, appended by whoever makes it (create, the workflow, retry, cleanup). */
export const TimelineEntrySchema = z.object({
  status: VideoStatusSchema,
  at: z.string(),
  /** The workflow execution that made the change. */
  execution_id: z.string().optional(),
  /** The error code of a change to `failed`. */
  code: z.string().optional(),
  note: z.string().optional(),
});
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;

/** What the transcode task cost, estimated from its size and run time at Fargate's on-demand prices. */
/**
 * Where a Fargate task runs: on-demand `FARGATE`, or `FARGATE_SPOT` (spare capacity at a discount, which AWS
 * may reclaim with two minutes' notice). The names are ECS's capacity providers.
 */
export const CapacityProviderSchema = z.enum(['FARGATE', 'FARGATE_SPOT']);
export type CapacityProvider = z.infer<typeof CapacityProviderSchema>;

export const JobCostSchema = z.object({
  estimated_usd: z.number(),
  /** The capacity the task that produced the video ran on, priced as such (absent on records before Spot). */
  capacity_provider: CapacityProviderSchema.optional(),
  vcpu: z.number(),
  memory_gb: z.number(),
  /** Fargate bills per second, with a one-minute minimum. */
  billed_seconds: z.number(),
});
export type JobCost = z.infer<typeof JobCostSchema>;

/** The subtitles as sidecar files next to the MP4 (S3 URIs), for players that show them as a track. */
export const SubtitleFilesSchema = z.object({ srt: z.string(), vtt: z.string() });
export type SubtitleFiles = z.infer<typeof SubtitleFilesSchema>;

/** One audio track of the source, as the worker found it: the output keeps one (see the README's media rules). */
export const AudioTrackSchema = z.object({
  /** 1-based among the source's audio tracks. */
  track: z.number().int(),
  /** ISO 639-2 as the file tags it ("eng"); absent when untagged. */
  language: z.string().optional(),
  channels: z.number().int().optional(),
  codec: z.string().optional(),
  default: z.boolean(),
  kept: z.boolean(),
});
export type AudioTrack = z.infer<typeof AudioTrackSchema>;

export const VideoRecordSchema = z.object({
  id: z.string(),
  filename: z.string(),
  content_type: z.string(),
  /** Declared size of the upload, in bytes. */
  upload_size: z.number().int(),
  source_video_id: z.string().optional(),
  status: VideoStatusSchema,
  /** Requested output box, e.g. "720p". */
  target_resolution: ResolutionSchema,
  /** Actual output dimensions once saved, e.g. "1280x720". */
  resolution: z.string().optional(),
  crf: CrfSchema,
  preset: X264PresetSchema,
  subtitles: SubtitlesSpecSchema,
  /** Absent on records made before it existed: the workflow's claim fills in the default. */
  missing_glyphs: MissingGlyphsSchema.optional(),
  /** BCP 47; "und" when not given (records made before it existed get it at the claim). */
  subtitle_language: z.string().optional(),
  /** S3 key the source upload lands on. */
  source_key: z.string(),
  /** How the source is uploaded: a presigned POST, or a multipart upload for large files. */
  upload: UploadSpecSchema.optional(),
  /** Set by the client; a create request repeating it returns this video instead of a new one. */
  client_token: z.string().optional(),
  title: z.string().optional(),
  tags: z.array(z.string()).optional(),
  /** Output duration in seconds, once saved. */
  duration: z.number().optional(),
  /** Output size in bytes, once saved. */
  file_size: z.number().int().optional(),
  s3_uri: z.string().optional(),
  /** 0–100 while processing. */
  progress: z.number().optional(),
  execution_id: z.string().optional(),
  /** The upload's ETag when the workflow claimed it: the one object the encode reads. */
  source_etag: z.string().optional(),
  /** The ECS task encoding it while processing (the worker records it): what DELETE stops at once. */
  transcode_task_arn: z.string().optional(),
  /**
   * Every ECS task of the current attempt (the planner or one-pass task, each segment, the join): DELETE
   * stops them all. A DynamoDB string set, read as an array.
   */
  transcode_task_arns: z.preprocess((value) => (value instanceof Set ? [...value] : value), z.array(z.string())).optional(),
  /** How many video segments the encode ran as in parallel: 1 for a one-pass encode (see README, "Long videos"). */
  segment_count: z.number().int().positive().optional(),
  /** While a segmented encode runs: seconds of the source each segment has encoded so far, by segment. */
  segment_progress: z.record(z.string(), z.number()).optional(),
  /** The source's duration in seconds, once a segmented encode is planned (what segment_progress adds up to). */
  source_duration: z.number().optional(),
  timings: TimingsSchema.optional(),
  /** Every status change, oldest first. */
  timeline: z.array(TimelineEntrySchema).optional(),
  cost: JobCostSchema.optional(),
  subtitle_files: SubtitleFilesSchema.optional(),
  /** The source's audio tracks, the kept one marked (written by the worker when the source has sound). */
  audio_tracks: z.array(AudioTrackSchema).optional(),
  /** Things fixed on the way that the user may want to know (cues dropped or reordered, characters without a glyph). */
  warnings: z.array(z.string()).optional(),
  error: VideoErrorSchema.optional(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type VideoRecord = z.infer<typeof VideoRecordSchema>;

/**
 * How far the encode is, 0–100. A segmented encode's segments each write how many seconds they have done
 * (a record cannot add them up in one write), so the percentage is their sum over the source's duration.
 */
export function progressOf(record: Pick<VideoRecord, 'status' | 'progress' | 'segment_progress' | 'source_duration'>): number | undefined {
  const segmenting = isInFlight(record.status) && record.segment_progress !== undefined && (record.source_duration ?? 0) > 0;
  if (!segmenting || record.segment_progress === undefined || record.source_duration === undefined) return record.progress;
  const done = Object.values(record.segment_progress).reduce((sum, seconds) => sum + seconds, 0);
  // 100 is for the saved video: the join is still to run once every segment is done.
  return Math.round(Math.min(99, (done / record.source_duration) * 100) * 10) / 10;
}

/** What clients see of a record: everything but storage internals, task ARNs and the client's idempotency token. */
export function toPublicVideo(record: VideoRecord, extra: { playback_url?: string; subtitle_urls?: { srt: string; vtt: string } } = {}) {
  const {
    source_key: _sourceKey,
    content_type: _contentType,
    upload_size: _uploadSize,
    upload: _upload,
    client_token: _clientToken,
    transcode_task_arns: _taskArns,
    segment_progress: _segmentProgress,
    source_duration: _sourceDuration,
    ...visible
  } = record;
  const progress = progressOf(record);
  return { ...visible, ...(progress === undefined ? {} : { progress }), ...extra };
}
export type PublicVideo = ReturnType<typeof toPublicVideo>;
