/**
 * The planner: a long video's first task, once it has probed the source, cuts it at keyframes instead of
 * encoding it, writes the plan for the segment and join tasks, and reports the parts the workflow's Map runs.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { keys } from '../../../functions/core/keys.ts';
import { describeError, type Logger } from '../../../functions/core/log.ts';
import type { VideoRepository } from '../../../functions/core/video-repository.ts';
import type { JobCost } from '../../../functions/core/video.ts';
import { audioTrackRecords, type AudioPlan } from './audio-plan.ts';
import type { Dimensions } from './ffmpeg-command.ts';
import { putText } from './media-storage.ts';
import type { ProbedVideo, ProbedVideoStream } from './probe.ts';
import {
  cutsAt,
  cutTargets,
  keyframesNear,
  mapItemsOf,
  planParts,
  segmentCountFor,
  type SegmentPlan,
  type SegmentSettings,
} from './segment-plan.ts';

/** The planner's answer to the workflow: the Map's items (`parts`) and its MaxConcurrency. */
export interface SegmentedOutput {
  segmented: true;
  segment_count: number;
  parts: { id: string }[];
  max_concurrency: number;
}

export interface PlanningInput {
  videoId: string;
  bucket: string;
  executionId?: string | undefined;
  source: ProbedVideo;
  /** Where ffmpeg reads the source, and whether that is a copy on this task's disk. */
  read: { location: string; isCopy: boolean; inputOptions: string[] };
  output: { size: Dimensions; video: ProbedVideoStream; frameRate: number | undefined; audio: AudioPlan | undefined };
  style: { fontName: string; fontSize: number };
  /** Found while preparing: cues dropped, characters without a glyph, audio tracks dropped. */
  warnings: string[];
  timings: { download_ms: number; probe_ms: number };
  startedAt: Date;
  settings: SegmentSettings;
}

export interface PlanningDeps {
  s3: S3Client;
  videos: Pick<VideoRepository, 'recordSegmentPlan' | 'recordAudioTracks' | 'addWarnings'>;
  logger: Logger;
  ffprobePath: string;
  probeTimeoutMs: number;
  /** The planner task's own cost so far (job.ts: taskCostSoFar). */
  taskCostSoFar: () => JobCost;
}

/**
 * Plans the segments of a source long enough for them, or returns undefined for a one-pass encode (short,
 * or no keyframe where a cut could go).
 */
export async function planSegmentsIfLong(input: PlanningInput, deps: PlanningDeps, signal: AbortSignal): Promise<SegmentedOutput | undefined> {
  const { source } = input;
  const { logger } = deps;
  const durationSeconds = source.durationSeconds;
  // The audio part takes one of the Map's concurrent tasks: every part still starts in the first wave.
  const videoConcurrency = input.settings.maxConcurrency - (input.output.audio === undefined ? 0 : 1);
  const count = segmentCountFor(durationSeconds, { ...input.settings, maxConcurrency: videoConcurrency });
  if (durationSeconds === undefined || count < 2) return undefined;

  const fileStartSeconds = source.startSeconds ?? 0;
  const videoStartSeconds = source.video.startSeconds ?? fileStartSeconds;
  // The video's own length: the file's duration counts from its earliest stream.
  const videoSeconds = durationSeconds - (videoStartSeconds - fileStartSeconds);
  const keyframes = await keyframesNear(input.read.location, cutTargets(videoStartSeconds, videoSeconds, count), {
    ffprobePath: deps.ffprobePath,
    inputOptions: input.read.inputOptions,
    streamIndex: source.video.index,
    timeoutMs: deps.probeTimeoutMs,
    signal,
  });
  const cuts = cutsAt(keyframes, videoStartSeconds, videoStartSeconds + videoSeconds);
  if (cuts.length === 0) {
    logger.info('no keyframe to cut the source at: encoded in one pass', { durationSeconds, keyframes });
    return undefined;
  }

  const parts = planParts({
    startSeconds: videoStartSeconds,
    durationSeconds: videoSeconds,
    cuts,
    frameRate: input.output.frameRate,
    hasAudioPart: input.output.audio !== undefined,
  });
  const segmentCount = parts.filter((part) => part.kind === 'video').length;
  const plan: SegmentPlan = {
    ...(input.executionId === undefined ? {} : { executionId: input.executionId }),
    plannedAt: new Date().toISOString(),
    startedAt: input.startedAt.toISOString(),
    copySource: input.read.isCopy,
    durationSeconds,
    fileStartSeconds,
    videoStartSeconds,
    size: input.output.size,
    video: input.output.video,
    ...(input.output.frameRate === undefined ? {} : { frameRate: input.output.frameRate }),
    ...(input.output.audio === undefined ? {} : { audio: input.output.audio }),
    hasAudio: source.hasAudio,
    fontName: input.style.fontName,
    fontSize: input.style.fontSize,
    parts,
    plannerCost: deps.taskCostSoFar(),
    plannerTimings: input.timings,
    warnings: input.warnings,
  };
  await putText(deps.s3, { bucket: input.bucket, key: keys.segmentPlan(input.videoId), body: JSON.stringify(plan), contentType: 'application/json', signal });
  await deps.videos.recordSegmentPlan(input.videoId, { segmentCount, sourceDuration: videoSeconds, executionId: input.executionId });
  await recordFindings(input, deps);
  logger.info('segments planned', { segmentCount, cuts, durationSeconds });
  return { segmented: true, segment_count: segmentCount, parts: mapItemsOf(parts), max_concurrency: input.settings.maxConcurrency };
}

/** What a one-pass encode writes when it ends, written here at once: the join only adds the segments' own. */
async function recordFindings(input: PlanningInput, deps: PlanningDeps): Promise<void> {
  const { audio } = input.output;
  const writes = [
    ...(audio === undefined ? [] : [deps.videos.recordAudioTracks(input.videoId, audioTrackRecords(input.source.audio, audio.kept))]),
    ...(input.warnings.length === 0 ? [] : [deps.videos.addWarnings(input.videoId, input.warnings)]),
  ];
  for (const outcome of await Promise.allSettled(writes)) {
    if (outcome.status === 'rejected') deps.logger.warn('findings could not be written to the record', { error: describeError(outcome.reason) });
  }
}
