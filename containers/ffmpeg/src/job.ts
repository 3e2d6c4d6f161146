/**
 * The use case: one task of a transcode job, reported to Step Functions with the task token (success with
 * its output, or failure with an error name the ASL can match), heartbeating meanwhile. Which task it is
 * comes from the workflow (WORKER_STAGE): the whole job in one pass, or the plan of a long video's segments
 * (whole-encode.ts), one segment or the audio of that plan (segment-encode.ts), or their join (segment-join.ts).
 */
import { mkdtemp } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { S3Client } from '@aws-sdk/client-s3';
import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { isAppError } from '../../../functions/core/errors.ts';
import { describeError, type Logger } from '../../../functions/core/log.ts';
import type { VideoMetrics } from '../../../functions/core/metrics.ts';
import type { TranscodeOutput } from '../../../functions/core/transcode-output.ts';
import type { VideoRepository } from '../../../functions/core/video-repository.ts';
import type { JobCost, X264Preset } from '../../../functions/core/video.ts';
import { estimateFargateCost, type FargateTaskSize } from './cost.ts';
import { reportTaskFailure, toTaskFailure } from './failures.ts';
import type { Dimensions } from './ffmpeg-command.ts';
import type { FontCoverage, MissingGlyphsMode } from './glyph-coverage.ts';
import { startHeartbeat } from './heartbeat.ts';
import type { SourceLocator } from './media-storage.ts';
import type { ProbeOptions } from './probe.ts';
import { encodeSegmentPart, type SegmentPartOutput } from './segment-encode.ts';
import { joinSegments } from './segment-join.ts';
import type { SegmentSettings } from './segment-plan.ts';
import type { SegmentedOutput } from './segment-planning.ts';
import { recordTranscodeTask } from './task-metadata.ts';
import { encodeWhole } from './whole-encode.ts';

export interface TranscodeJob {
  videoId: string;
  taskToken: string;
  bucket: string;
  sourceKey: string;
  /** The upload the workflow claimed, by its ETag: the encode reads that object or fails. */
  sourceEtag: string;
  /** The execution that runs this job (its records are written for it only), when the ASL passes it. */
  executionId?: string | undefined;
  subtitlesKey: string;
  /** The output fits inside this box (a resolution preset). */
  box: Dimensions;
  crf: number;
  preset: X264Preset;
  fontsDir: string;
  fontName: string;
  /** The subtitles' language (BCP 47): picks the regional face for Chinese, Japanese and Korean. */
  subtitleLanguage?: string | undefined;
  /** Characters no font has: burn anyway with a warning (default) or fail the job with `missing_glyphs`. */
  missingGlyphs?: MissingGlyphsMode;
  /** Which task of the job this is (default: the whole job, or its segment plan). */
  stage?: { name: 'whole' } | { name: 'segment'; part: string } | { name: 'join' };
  /** When a long video is segmented (default DEFAULT_SEGMENT_SETTINGS). */
  segmentSettings?: SegmentSettings;
}

export interface WorkerDeps {
  s3: S3Client;
  sfn: SFNClient;
  videos: Pick<
    VideoRepository,
    'updateProgress' | 'addWarnings' | 'recordTranscodeTask' | 'recordAudioTracks' | 'recordSegmentPlan' | 'recordPartTask' | 'updateSegmentProgress'
  >;
  /** This task's ARN (see task-metadata.ts), recorded on the video so that DELETE can stop the task. */
  taskArn?: () => Promise<string | undefined>;
  logger: Logger;
  /** Counts the job once it is reported done, with its encoding speed. */
  metrics?: Pick<VideoMetrics, 'saved'>;
  ffmpegPath: string;
  ffprobePath: string;
  /** Parent of the per-job work dir. */
  workDir: string;
  heartbeatIntervalMs: number;
  progressIntervalMs: number;
  /** No progress from ffmpeg for this long stops the encode as a timeout (default 5 min). */
  stallTimeoutMs?: number;
  /** Default 2 min. */
  probeTimeoutMs?: number;
  /** The task's size and prices, for the cost estimate (default 2 vCPU, 4 GB at on-demand prices). */
  cost?: FargateTaskSize;
  /**
   * What ffmpeg reads the source from: in production a presigned URL (see presignedSourceLocator), so
   * decoding starts at once with HTTP range reads instead of after a full download, and the task's disk
   * only has to hold the output (and a copy of a source whose streams are far apart: source-reading.ts).
   */
  locateSource: SourceLocator;
  /** Aborting it stops the job; an AppError reason (SIGTERM: TaskInterruptedError) is reported, any other is not. */
  signal?: AbortSignal;
  /** What the fonts cover (default: fontconfig's fc-list/fc-query, read once per process). */
  fontCoverage?: (fontsDir: string) => Promise<FontCoverage | undefined>;
  /** Free bytes on the work dir's file system (default: statfs). */
  freeDiskBytes?: (directory: string) => Promise<number>;
}

/**
 * - succeeded / failed: reported to Step Functions.
 * - abandoned: nobody is waiting any more (the task token is dead, or the process is being stopped): stopped, nothing reported.
 */
export type JobOutcome = 'succeeded' | 'failed' | 'abandoned';

/** What a task reports: the job's output (one pass, or the join), a segment plan, or one part's encode. */
export type TaskOutput = TranscodeOutput | SegmentedOutput | SegmentPartOutput;

/** Runs one job's task and reports it. Rejects only when the report itself could not be sent. */
export async function runTranscodeJob(job: TranscodeJob, deps: WorkerDeps): Promise<JobOutcome> {
  const { logger } = deps;
  const taskGone = new AbortController();
  const heartbeat = startHeartbeat(job.taskToken, deps, (reason) => taskGone.abort(reason));
  const abandoned = deps.signal ? AbortSignal.any([taskGone.signal, deps.signal]) : taskGone.signal;
  const stage = job.stage ?? { name: 'whole' };
  await recordTranscodeTask({ videoId: job.videoId, executionId: job.executionId, taskArn: deps.taskArn, videos: deps.videos, logger, joinsRunningJob: stage.name !== 'whole' });

  let result: { ok: true; output: TaskOutput } | { ok: false; error: unknown };
  try {
    const checkIn = () => heartbeat.beatNow();
    const output =
      stage.name === 'segment'
        ? await encodeSegmentPart(job, stage.part, deps, abandoned)
        : stage.name === 'join'
          ? await joinSegments(job, deps, abandoned, checkIn)
          : await encodeWhole(job, deps, abandoned, checkIn);
    result = { ok: true, output };
  } catch (error) {
    result = { ok: false, error };
  } finally {
    await heartbeat.stop();
  }

  // A stop whose reason is an AppError (SIGTERM: TaskInterruptedError) is reported in place of what it caused.
  const stop = deps.signal?.aborted === true ? deps.signal.reason : undefined;
  if (taskGone.signal.aborted || (!result.ok && stop !== undefined && !isAppError(stop))) {
    logger.warn('job abandoned, nothing reported', { reason: describeError(abandoned.reason) });
    return 'abandoned';
  }
  if (!result.ok && stop !== undefined) result = { ok: false, error: stop };

  if (result.ok) {
    const { output } = result;
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: job.taskToken, output: JSON.stringify(output) }));
    logger.info('job succeeded', { stage: stage.name, output });
    if ('timings' in output) deps.metrics?.saved({ encodeSeconds: output.timings.encode_ms / 1000, outputSeconds: output.duration });
    return 'succeeded';
  }

  const failure = toTaskFailure(result.error);
  logger.error('job failed', { error: failure.error, cause: failure.cause, detail: describeError(result.error) });
  return reportTaskFailure(deps.sfn, job.taskToken, failure, logger);
}

/**
 * This task's cost so far: the process started with the task, so its age is what Fargate bills (less the
 * image pull), at the task's size and capacity (default 2 vCPU, 4 GB on demand).
 */
export function taskCostSoFar(deps: Pick<WorkerDeps, 'cost'>): JobCost {
  return estimateFargateCost({ vcpu: 2, memoryGb: 4, ...deps.cost, seconds: performance.now() / 1000 });
}

/** ffprobe's options for this job (default timeout 2 min). */
export function probeOptionsOf(deps: Pick<WorkerDeps, 'ffprobePath' | 'probeTimeoutMs'>, signal: AbortSignal): ProbeOptions {
  return { ffprobePath: deps.ffprobePath, timeoutMs: deps.probeTimeoutMs ?? 120_000, signal };
}

/**
 * The task's own work dir, removed when it ends: `vidp-{video id}[-{part}]-XXXXXX` under WORK_DIR (test
 * doubles of ffmpeg read the video id back from the name).
 */
export async function makeWorkDir(parent: string, videoId: string, part?: string): Promise<string> {
  return mkdtemp(join(resolve(parent), `vidp-${videoId.replace(/[^\w-]/g, '_')}-${part === undefined ? '' : `${part}-`}`));
}

/** Whole milliseconds since `startedAt` (performance.now()). */
export function elapsedSince(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}
