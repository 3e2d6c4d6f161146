/**
 * The ffmpeg command lines of a segmented encode: one video segment, the audio track for the whole file,
 * and the join. Each segment runs the one-pass picture filters (ffmpeg-command.ts) on its own frames.
 */
import { audioArgs, type AudioPlan } from './audio-plan.ts';
import {
  colourArgs,
  PROGRESS_ARGS,
  sourceInputOptions,
  videoCodecArgs,
  videoFilters,
  videoStreamMap,
  type TranscodeArgsInput,
} from './ffmpeg-command.ts';
import type { SegmentPart } from './segment-plan.ts';

/**
 * Frame selection works on source timestamps this far before each cut: well below any frame interval
 * (8 ms at 120 fps), well above the microsecond rounding of a printed timestamp.
 */
const CUT_MARGIN_SECONDS = 0.001;

const COMMON = ['-hide_banner', '-nostdin', '-y'];

export type SegmentArgsInput = Omit<TranscodeArgsInput, 'hasAudio' | 'audio' | 'durationSeconds'> & {
  part: Extract<SegmentPart, { kind: 'video' }>;
  /** The source's first video frame: a retimed segment's frame grid starts there, as a one-pass encode's does. */
  videoStartSeconds: number;
};

/**
 * One video segment, without audio. The input seek lands on the segment's keyframe (a hair past it, so the
 * seek's backward search stops there) and nothing before it is decoded; `-copyts` keeps the source's own
 * timestamps, so `trim` picks exactly the frames from this cut to the next, and the subtitles' times need only
 * the segment's start taken off (burn-in-subtitles.ts). A retimed source is put on its output rate first,
 * on the grid of the whole file, so the segments' frames tile it.
 */
export function buildSegmentArgs(input: SegmentArgsInput): string[] {
  const { part } = input;
  const seek = part.start > input.videoStartSeconds ? ['-noaccurate_seek', '-ss', (part.start + CUT_MARGIN_SECONDS).toFixed(6)] : [];
  const trimBounds = [
    ...(seek.length > 0 ? [`start=${(part.start - CUT_MARGIN_SECONDS).toFixed(6)}`] : []),
    ...(part.end === undefined ? [] : [`end=${(part.end - CUT_MARGIN_SECONDS).toFixed(6)}`]),
  ];
  const filters = [
    ...(input.frameRate === undefined ? [] : [`fps=fps=${input.frameRate}:start_time=${input.videoStartSeconds.toFixed(6)}`]),
    ...(trimBounds.length > 0 ? [`trim=${trimBounds.join(':')}`] : []),
    'setpts=PTS-STARTPTS',
    ...videoFilters(input),
  ];
  return [
    ...COMMON,
    '-xerror',
    ...sourceInputOptions(input.inputPath, input.sourceEtag),
    ...seek,
    '-copyts',
    '-i',
    input.inputPath,
    '-map',
    videoStreamMap(input.video),
    '-vf',
    filters.join(','),
    ...videoCodecArgs(input),
    ...(input.video === undefined ? [] : colourArgs(input.video)),
    '-an',
    ...PROGRESS_ARGS,
    input.outputPath,
  ];
}

/**
 * The kept audio track of the whole file, encoded (or copied) once: AAC encoded per segment would restart
 * its priming at every cut, an audible gap. Timestamps are the file's, as in a one-pass encode.
 */
export function buildAudioPartArgs(input: {
  inputPath: string;
  outputPath: string;
  sourceEtag: string | undefined;
  audio: AudioPlan;
  /** A retimed encode is cut at the source's duration, as its one-pass encode is. */
  cutAtSeconds: number | undefined;
}): string[] {
  return [
    ...COMMON,
    '-xerror',
    ...sourceInputOptions(input.inputPath, input.sourceEtag),
    '-i',
    input.inputPath,
    '-map',
    `0:${input.audio.kept.index}`,
    '-vn',
    ...audioArgs({ audio: input.audio, hasAudio: true }),
    ...(input.cutAtSeconds === undefined ? [] : ['-t', input.cutAtSeconds.toFixed(3)]),
    ...PROGRESS_ARGS,
    input.outputPath,
  ];
}

/**
 * The concat demuxer's list: each segment placed by its planned duration (not by its last frame's), so
 * the joined timeline is the source's, cut after cut.
 */
export function formatConcatList(segments: readonly { file: string; durationSeconds: number }[]): string {
  const lines = segments.flatMap((segment) => [`file '${segment.file.replaceAll("'", "'\\''")}'`, `duration ${segment.durationSeconds.toFixed(6)}`]);
  return ['ffconcat version 1.0', ...lines, ''].join('\n');
}

/**
 * The join: the segments' video copied one after the other, the audio copied beside it, moov first. The
 * video is offset by where it started in the source, so picture and sound keep the source's alignment.
 */
export function buildJoinArgs(input: { listPath: string; audioPath: string | undefined; outputPath: string; videoOffsetSeconds: number }): string[] {
  return [
    ...COMMON,
    ...(Math.abs(input.videoOffsetSeconds) > 1e-6 ? ['-itsoffset', input.videoOffsetSeconds.toFixed(6)] : []),
    '-f', 'concat',
    '-safe', '0',
    '-i', input.listPath,
    ...(input.audioPath === undefined ? [] : ['-i', input.audioPath]),
    '-map', '0:v:0',
    ...(input.audioPath === undefined ? [] : ['-map', '1:a:0']),
    '-c', 'copy',
    '-movflags', '+faststart',
    ...PROGRESS_ARGS,
    input.outputPath,
  ];
}
