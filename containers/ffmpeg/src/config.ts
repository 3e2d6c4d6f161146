import os from 'node:os';
import { z } from 'zod';
import {
  CapacityProviderSchema,
  CrfSchema,
  DEFAULT_MISSING_GLYPHS,
  MissingGlyphsSchema,
  RESOLUTION_PRESETS,
  ResolutionSchema,
  UNDETERMINED_LANGUAGE,
  X264PresetSchema,
} from '../../../functions/core/video.ts';
import { DEFAULT_FARGATE_SPOT_DISCOUNT, FARGATE_PRICES } from './cost.ts';
import type { TranscodeJob } from './job.ts';
import { DEFAULT_SEGMENT_SETTINGS, MAX_SEGMENT_CONCURRENCY, WorkerStageSchema } from './segment-plan.ts';

/** The job, one per task: what the ASL's ContainerOverrides give the container on RunTask. */
export const WorkerJobEnvironmentSchema = z.object({
  TASK_TOKEN: z.string().min(1),
  VIDEO_ID: z.string().min(1),
  /** The workflow execution running the job, for the log lines. */
  EXECUTION_ID: z.string().min(1).optional(),
  SOURCE_KEY: z.string().min(1),
  /** The upload's ETag when the workflow claimed it (from the S3 event): what the encode must read. */
  SOURCE_ETAG: z.string().min(1),
  SUBTITLES_KEY: z.string().min(1),
  TARGET_RESOLUTION: ResolutionSchema,
  // ECS environment values are strings; `z.coerce` would turn "" into 0, so parse digits explicitly.
  CRF: z.string().trim().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(CrfSchema),
  PRESET: X264PresetSchema,
  /** Subtitle characters no font has: `warn` (burn anyway, warning on the record) or `fail` (`missing_glyphs`). */
  MISSING_GLYPHS: MissingGlyphsSchema.default(DEFAULT_MISSING_GLYPHS),
  /** The subtitles' language, a BCP 47 tag ("und" when not given): the face for Chinese, Japanese and Korean. */
  SUBTITLE_LANGUAGE: z.string().min(1).default(UNDETERMINED_LANGUAGE),
  /** The capacity provider RunTask placed this task on (the ASL's `$.capacity.provider`): what the cost is priced at. */
  CAPACITY_PROVIDER: CapacityProviderSchema.default('FARGATE'),
  /**
   * Which task of the job this is (see segments.ts): `whole` probes and encodes in one pass, or plans the
   * segments of a long video; `segment` encodes one part of the plan (SEGMENT names it); `join` joins them.
   */
  WORKER_STAGE: WorkerStageSchema.default('whole'),
  SEGMENT: z.string().regex(/^[a-z0-9-]{1,16}$/, 'must name a part of the segment plan').optional(),
});

/** The fixed part, the same for every job: what the task definition's container environment holds. */
export const WorkerTaskEnvironmentSchema = z.object({
  MEDIA_BUCKET: z.string().min(3),
  /** Set by Fargate (and the local ECS) in every container: where the task learns its own ARN. */
  ECS_CONTAINER_METADATA_URI_V4: z.string().url().optional(),
  VIDEOS_TABLE: z.string().min(1),
  FONTS_DIR: z.string().min(1).default('/usr/share/fonts/truetype/dejavu'),
  // Goes into the burn-in script's Style line, a comma-separated list.
  FONT_NAME: z.string().regex(/^[^,=]+$/, 'must be a font family name').default('DejaVu Sans'),
  WORK_DIR: z.string().min(1).default(() => os.tmpdir()),
  /** Keep well under the Transcode state's HeartbeatSeconds (300, which a cold Fargate start shares). */
  HEARTBEAT_INTERVAL_SECONDS: z.coerce.number().positive().default(30),
  PROGRESS_INTERVAL_SECONDS: z.coerce.number().nonnegative().default(2),
  /**
   * FFmpeg reports progress twice a second; this long without any (a hung decoder, a read that never
   * returns) stops the encode as a `timeout` instead of holding the task until the state's TimeoutSeconds.
   */
  STALL_TIMEOUT_SECONDS: z.coerce.number().positive().default(300),
  /** ffprobe reads a few hundred KB; this long means it hangs. */
  PROBE_TIMEOUT_SECONDS: z.coerce.number().positive().default(120),
  FFMPEG_PATH: z.string().min(1).default('ffmpeg'),
  FFPROBE_PATH: z.string().min(1).default('ffprobe'),
  /** The task size of the task definition, for the cost estimate on the record. */
  FARGATE_VCPU: z.coerce.number().positive().default(2),
  FARGATE_MEMORY_GB: z.coerce.number().positive().default(4),
  FARGATE_VCPU_HOUR_USD: z.coerce.number().nonnegative().default(FARGATE_PRICES.vcpuHourUsd),
  FARGATE_GB_HOUR_USD: z.coerce.number().nonnegative().default(FARGATE_PRICES.gbHourUsd),
  /** Fargate Spot's discount off those on-demand prices (0.5: half price), for a task that ran on FARGATE_SPOT. */
  FARGATE_SPOT_DISCOUNT: z.coerce.number().min(0).lt(1).default(DEFAULT_FARGATE_SPOT_DISCOUNT),
  /** A source at least this long (seconds) is encoded as parallel segments (README, "Long videos"). */
  PARALLEL_MIN_SECONDS: z.coerce.number().positive().default(DEFAULT_SEGMENT_SETTINGS.parallelMinSeconds),
  /** The segments' target length; longer when more than SEGMENT_MAX_CONCURRENCY would be needed. */
  SEGMENT_SECONDS: z.coerce.number().min(1).default(DEFAULT_SEGMENT_SETTINGS.segmentSeconds),
  /** The Map's MaxConcurrency: at most this many segments, all encoded at once (an inline Map runs at most 40). */
  SEGMENT_MAX_CONCURRENCY: z.coerce.number().int().min(2).max(MAX_SEGMENT_CONCURRENCY).default(DEFAULT_SEGMENT_SETTINGS.maxConcurrency),
});

/** The worker's environment: the task definition sets the fixed part, the ASL's ContainerOverrides the job. */
export const WorkerConfigSchema = WorkerTaskEnvironmentSchema.extend(WorkerJobEnvironmentSchema.shape).refine(
  (job) => job.WORKER_STAGE !== 'segment' || job.SEGMENT !== undefined,
  { message: 'SEGMENT is required with WORKER_STAGE=segment', path: ['SEGMENT'] },
);
export type WorkerConfig = z.infer<typeof WorkerConfigSchema>;

export function jobFromConfig(config: WorkerConfig): TranscodeJob {
  return {
    videoId: config.VIDEO_ID,
    taskToken: config.TASK_TOKEN,
    bucket: config.MEDIA_BUCKET,
    sourceKey: config.SOURCE_KEY,
    sourceEtag: config.SOURCE_ETAG,
    executionId: config.EXECUTION_ID,
    subtitlesKey: config.SUBTITLES_KEY,
    box: RESOLUTION_PRESETS[config.TARGET_RESOLUTION],
    crf: config.CRF,
    preset: config.PRESET,
    fontsDir: config.FONTS_DIR,
    fontName: config.FONT_NAME,
    missingGlyphs: config.MISSING_GLYPHS,
    subtitleLanguage: config.SUBTITLE_LANGUAGE,
    stage: stageOf(config),
    segmentSettings: {
      parallelMinSeconds: config.PARALLEL_MIN_SECONDS,
      segmentSeconds: config.SEGMENT_SECONDS,
      maxConcurrency: config.SEGMENT_MAX_CONCURRENCY,
    },
  };
}

/** Which task of the job this is; the schema's refinement guarantees a segment task its SEGMENT. */
function stageOf(config: WorkerConfig): NonNullable<TranscodeJob['stage']> {
  if (config.WORKER_STAGE !== 'segment') return { name: config.WORKER_STAGE };
  if (config.SEGMENT === undefined) throw new Error('SEGMENT is required with WORKER_STAGE=segment');
  return { name: 'segment', part: config.SEGMENT };
}
