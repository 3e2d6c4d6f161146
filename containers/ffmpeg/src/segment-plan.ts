/**
 * Parallel segments for long videos: whether a source is cut, where, and the plan the segment and join
 * tasks work from (temp/{id}/segments/plan.json).
 *
 * A source at least PARALLEL_MIN_SECONDS long is cut at its own keyframes into about SEGMENT_SECONDS each,
 * but never into more segments than the Map runs at once: every segment starts in the first wave, so the
 * video is ready one segment's encode (plus the task starts and the join) after it was planned. Cutting at a
 * keyframe means a segment's decode starts exactly at its first frame: nothing is decoded twice.
 */
import { z } from 'zod';
import { JobCostSchema } from '../../../functions/core/video.ts';
import type { AudioPlan } from './audio-plan.ts';
import type { Dimensions } from './ffmpeg-command.ts';
import type { ProbedVideoStream } from './probe.ts';
import { superviseProcess } from './process-supervision.ts';

export const WorkerStageSchema = z.enum(['whole', 'segment', 'join']);
export type WorkerStage = z.infer<typeof WorkerStageSchema>;

/** An inline Map state runs at most 40 iterations at once. */
export const MAX_SEGMENT_CONCURRENCY = 40;

export interface SegmentSettings {
  /** Sources at least this long (seconds) are segmented. */
  parallelMinSeconds: number;
  /** Target segment length in seconds. */
  segmentSeconds: number;
  /** The Map's MaxConcurrency: the most segments a source is cut into. */
  maxConcurrency: number;
}

/**
 * 300 s: on Fargate a segmented job pays two more task starts (about 25 s each with our image) and a join; from
 * about 270 s of source on (`npm run bench -- segments`: a one-pass encode at 3.4× real time on 2 vCPUs), cutting
 * it in ten still finishes sooner. Below that a one-pass encode is as quick and bills one task instead of a dozen.
 */
export const DEFAULT_SEGMENT_SETTINGS: SegmentSettings = { parallelMinSeconds: 300, segmentSeconds: 120, maxConcurrency: 10 };

/** No segment is cut shorter than this: a cut costs a task start, and x264 needs a few seconds to settle its rate. */
const MIN_SEGMENT_SECONDS = 2;

/** How many segments a source of this duration is encoded as: 1 (one pass) below parallelMinSeconds. */
export function segmentCountFor(durationSeconds: number | undefined, settings: SegmentSettings): number {
  if (durationSeconds === undefined || durationSeconds < settings.parallelMinSeconds) return 1;
  const count = Math.min(Math.ceil(durationSeconds / settings.segmentSeconds), settings.maxConcurrency);
  return Math.max(1, Math.min(count, Math.floor(durationSeconds / MIN_SEGMENT_SECONDS)));
}

/** Where the cuts would fall if keyframes were everywhere: `count` equal segments of [start, start + duration). */
export function cutTargets(startSeconds: number, durationSeconds: number, count: number): number[] {
  return Array.from({ length: count - 1 }, (_, index) => startSeconds + ((index + 1) * durationSeconds) / count);
}

/**
 * The cuts: the keyframe found for each target, in order, each at least MIN_SEGMENT_SECONDS after the cut
 * before it and before the end. Sparse keyframes (a GOP longer than a segment) make fewer, longer segments.
 */
export function cutsAt(keyframes: readonly number[], startSeconds: number, endSeconds: number): number[] {
  const cuts: number[] = [];
  for (const keyframe of [...keyframes].sort((a, b) => a - b)) {
    const previous = cuts.at(-1) ?? startSeconds;
    if (keyframe - previous >= MIN_SEGMENT_SECONDS && endSeconds - keyframe >= MIN_SEGMENT_SECONDS) cuts.push(keyframe);
  }
  return cuts;
}

/**
 * The keyframe at or before each target time: ffprobe seeks to each (a few range requests on an indexed
 * file, not a read of the whole source) and lists the first packet it finds there.
 */
export async function keyframesNear(
  location: string,
  targets: readonly number[],
  options: { ffprobePath: string; inputOptions: string[]; streamIndex: number | undefined; timeoutMs: number; signal: AbortSignal },
): Promise<number[]> {
  if (targets.length === 0) return [];
  const stdout: string[] = [];
  const intervals = targets.map((target) => `${target.toFixed(3)}%+#1`).join(',');
  const exit = await superviseProcess(
    options.ffprobePath,
    [
      '-v', 'error',
      ...options.inputOptions,
      '-select_streams', options.streamIndex === undefined ? 'v:0' : String(options.streamIndex),
      '-read_intervals', intervals,
      '-show_entries', 'packet=pts_time,flags',
      '-of', 'json',
      location,
    ],
    { name: 'ffprobe', signal: options.signal, timeoutMs: options.timeoutMs, onStdoutLine: (line) => stdout.push(line) },
  ).exited;
  // Without keyframes the video is encoded in one pass: slower, never wrong.
  if (exit.code !== 0) return [];
  const parsed = PacketListSchema.safeParse(JSON.parse(stdout.join('\n') || '{}'));
  if (!parsed.success) return [];
  return parsed.data.packets.flatMap((packet) => {
    const time = Number(packet.pts_time);
    return packet.flags?.startsWith('K') === true && Number.isFinite(time) ? [time] : [];
  });
}

const PacketListSchema = z.looseObject({
  packets: z.array(z.looseObject({ pts_time: z.string().optional(), flags: z.string().optional() })).default([]),
});

// ---- the plan ------------------------------------------------------------------------------------

/** One Map item: a video segment (v000, v001, …) or the audio track, encoded once for the whole file. */
export const SegmentPartSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('video'),
    id: z.string(),
    /** Source timestamps (seconds, as the file stores them): the first frame at `start`, frames before `end`. */
    start: z.number(),
    /** Absent for the last segment: it runs to the end. */
    end: z.number().optional(),
    /** This segment's length in the output, which the join places it by. */
    durationSeconds: z.number(),
  }),
  z.object({ kind: z.literal('audio'), id: z.literal('audio') }),
]);
export type SegmentPart = z.infer<typeof SegmentPartSchema>;

/** A part's file: MP4 for a video segment, M4A (an MP4 of sound only) for the audio. */
export function partExtension(part: SegmentPart): 'mp4' | 'm4a' {
  return part.kind === 'audio' ? 'm4a' : 'mp4';
}

/** What the planner decided from the probe, so that no segment task probes again. */
export const SegmentPlanSchema = z.object({
  executionId: z.string().optional(),
  plannedAt: z.iso.datetime(),
  /** When the planner started: the join measures the job's total time from here. */
  startedAt: z.iso.datetime(),
  /** The source is read from a copy on each task's disk (streams stored far apart: source-reading.ts). */
  copySource: z.boolean(),
  durationSeconds: z.number(),
  /** The file's start: a one-pass encode's (and the subtitles') time zero. */
  fileStartSeconds: z.number(),
  /** The first video frame's timestamp: the first segment's start. */
  videoStartSeconds: z.number(),
  size: z.object({ width: z.number().int(), height: z.number().int() }),
  video: z.custom<ProbedVideoStream>((value) => typeof value === 'object' && value !== null),
  frameRate: z.number().optional(),
  audio: z.custom<AudioPlan>((value) => typeof value === 'object' && value !== null).optional(),
  hasAudio: z.boolean(),
  fontName: z.string(),
  fontSize: z.number(),
  parts: z.array(SegmentPartSchema),
  /** The planner's own run, billed like every task of the job. */
  plannerCost: JobCostSchema,
  plannerTimings: z.object({ download_ms: z.number(), probe_ms: z.number() }),
  warnings: z.array(z.string()),
});
export type SegmentPlan = z.infer<typeof SegmentPlanSchema>;

/**
 * The parts of a plan: the audio first (it starts early and is short), then one video segment per cut
 * interval. A retimed source (constant output rate) counts whole frames of its grid, so the segments tile
 * it exactly; otherwise a segment lasts from its keyframe to the next.
 */
export function planParts(input: {
  startSeconds: number;
  durationSeconds: number;
  cuts: readonly number[];
  frameRate: number | undefined;
  hasAudioPart: boolean;
}): SegmentPart[] {
  const starts = [input.startSeconds, ...input.cuts];
  const end = input.startSeconds + input.durationSeconds;
  const framesBefore = (time: number) => (input.frameRate === undefined ? time : Math.ceil((time - input.startSeconds) * input.frameRate - 1e-6));
  const video = starts.map((start, index): SegmentPart => {
    const next = starts[index + 1];
    const until = next ?? end;
    const durationSeconds =
      input.frameRate === undefined ? until - start : (framesBefore(until) - framesBefore(start)) / input.frameRate;
    return { kind: 'video', id: `v${String(index).padStart(3, '0')}`, start, ...(next === undefined ? {} : { end: next }), durationSeconds };
  });
  return [...(input.hasAudioPart ? [{ kind: 'audio', id: 'audio' } as const] : []), ...video];
}

/** The Map's items: what each iteration's task is told (its part's id; the rest it reads from the plan). */
export function mapItemsOf(parts: readonly SegmentPart[]): { id: string }[] {
  return parts.map((part) => ({ id: part.id }));
}
