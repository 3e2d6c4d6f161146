/**
 * One part of a segmented encode (a Map iteration's task): a video segment with its subtitles burned in, or
 * the audio of the whole file. It works from the planner's plan, so it neither probes nor judges the source
 * again; it uploads its file to temp/{id}/segments/ with a report (its cost, its warnings) for the join.
 */
import { rm, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { S3Client } from '@aws-sdk/client-s3';
import { InputInvalidError, TranscodeFailedError } from '../../../functions/core/errors.ts';
import { keys } from '../../../functions/core/keys.ts';
import type { JobCost } from '../../../functions/core/video.ts';
import { formatAssScript } from './ass-script.ts';
import { cuesWithinSegment, subtitlesWithin } from './burn-in-subtitles.ts';
import { encode } from './encode.ts';
import { ensureFontsAvailable } from './font-guard.ts';
import { elapsedSince, makeWorkDir, taskCostSoFar, type TranscodeJob, type WorkerDeps } from './job.ts';
import { downloadObject, downloadPreparedSubtitles, getText, putText, SOURCE_GONE_MESSAGE, uploadFile } from './media-storage.ts';
import { UNCOUNTED_PROGRESS } from './progress.ts';
import { buildAudioPartArgs, buildSegmentArgs } from './segment-commands.ts';
import { partExtension, SegmentPlanSchema, type SegmentPart, type SegmentPlan } from './segment-plan.ts';

/** What a part's task reports to its Map iteration. */
export interface SegmentPartOutput {
  part: string;
  encode_ms: number;
}

/** What a part leaves for the join beside its file: temp/{id}/segments/{part}.json. */
export interface SegmentPartReport {
  part: string;
  cost: JobCost;
  encode_ms: number;
  warnings: string[];
}

export async function encodeSegmentPart(job: TranscodeJob, partId: string, deps: WorkerDeps, signal: AbortSignal): Promise<SegmentPartOutput> {
  const { logger } = deps;
  const workDir = await makeWorkDir(deps.workDir, job.videoId, partId);
  try {
    const plan = await readSegmentPlan(deps.s3, job, signal);
    const part = plan.parts.find((candidate) => candidate.id === partId);
    if (part === undefined) throw new TranscodeFailedError(`The segment plan has no part ${partId}`);
    logger.info('segment started', { part });

    let source = await deps.locateSource(job.bucket, job.sourceKey, job.sourceEtag, signal);
    if (plan.copySource) {
      const copy = join(workDir, `source${extname(job.sourceKey)}`);
      await downloadObject(deps.s3, { bucket: job.bucket, key: job.sourceKey, etag: job.sourceEtag, file: copy, signal }, () => new InputInvalidError(SOURCE_GONE_MESSAGE));
      source = copy;
    }

    const outputFile = join(workDir, `${part.id}.${partExtension(part)}`);
    const encodeStartedAt = performance.now();
    const warnings =
      part.kind === 'audio'
        ? await encodeAudio(plan, { job, deps, signal, source, outputFile })
        : await encodeVideoSegment(plan, part, { job, deps, signal, source, outputFile, workDir });
    const encodeMs = elapsedSince(encodeStartedAt);

    await uploadFile(deps.s3, {
      bucket: job.bucket,
      key: keys.segmentPart(job.videoId, part.id, partExtension(part)),
      file: outputFile,
      contentType: part.kind === 'audio' ? 'audio/mp4' : 'video/mp4',
      signal,
    });
    const report: SegmentPartReport = {
      part: part.id,
      cost: taskCostSoFar(deps),
      encode_ms: encodeMs,
      warnings,
    };
    await putText(deps.s3, { bucket: job.bucket, key: keys.segmentReport(job.videoId, part.id), body: JSON.stringify(report), contentType: 'application/json', signal });
    return { part: part.id, encode_ms: encodeMs };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

export async function readSegmentPlan(s3: S3Client, job: Pick<TranscodeJob, 'bucket' | 'videoId'>, signal: AbortSignal): Promise<SegmentPlan> {
  const text = await getText(s3, { bucket: job.bucket, key: keys.segmentPlan(job.videoId), signal }, () => new TranscodeFailedError('The segment plan is no longer in storage'));
  return SegmentPlanSchema.parse(JSON.parse(text));
}

interface PartRun {
  job: TranscodeJob;
  deps: WorkerDeps;
  signal: AbortSignal;
  /** The source's URL, or its copy on this task's disk. */
  source: string;
  outputFile: string;
}

async function encodeVideoSegment(plan: SegmentPlan, part: Extract<SegmentPart, { kind: 'video' }>, run: PartRun & { workDir: string }): Promise<string[]> {
  const { job, deps, signal } = run;
  await ensureFontsAvailable(job.fontsDir);
  const subtitlesFile = join(run.workDir, 'subtitles.srt');
  await downloadPreparedSubtitles(deps.s3, { bucket: job.bucket, key: job.subtitlesKey, file: subtitlesFile, signal });
  // Cue times count from the file's start (a one-pass encode's zero); this segment's clock from its first frame.
  const toMs = (seconds: number) => Math.round((seconds - plan.fileStartSeconds) * 1000);
  const cues = cuesWithinSegment((await subtitlesWithin(subtitlesFile, plan.durationSeconds)).kept, {
    startMs: toMs(part.start),
    endMs: part.end === undefined ? undefined : toMs(part.end),
  });
  const burnIn = join(run.workDir, 'burn-in.ass');
  if (cues.length > 0) await writeFile(burnIn, formatAssScript(cues, { fontName: plan.fontName, fontSize: plan.fontSize }), 'utf8');

  const args = buildSegmentArgs({
    inputPath: run.source,
    outputPath: run.outputFile,
    subtitlesPath: cues.length > 0 ? burnIn : undefined,
    fontsDir: resolve(job.fontsDir),
    width: plan.size.width,
    height: plan.size.height,
    crf: job.crf,
    preset: job.preset,
    video: plan.video,
    frameRate: plan.frameRate,
    sourceEtag: job.sourceEtag,
    part,
    videoStartSeconds: plan.videoStartSeconds,
  });
  // The record adds up the segments' seconds (progressOf in video.ts): each writes its own.
  const segmentProgress = {
    updateProgress: (id: string, percent: number) => deps.videos.updateSegmentProgress(id, part.id, (percent / 100) * part.durationSeconds, job.executionId),
  };
  const encoded = await encode(
    args,
    { videoId: job.videoId, durationSeconds: part.durationSeconds, fonts: { dir: job.fontsDir, name: plan.fontName }, signal },
    { ...deps, videos: segmentProgress },
  );
  // The planner checked the fonts' coverage already; libass repeats it in every segment.
  return plan.warnings.some((warning) => /no glyph/.test(warning)) ? encoded.warnings.filter((warning) => !/no glyph/.test(warning)) : encoded.warnings;
}

async function encodeAudio(plan: SegmentPlan, run: PartRun): Promise<string[]> {
  if (plan.audio === undefined) throw new TranscodeFailedError('The segment plan has an audio part but no audio track');
  const args = buildAudioPartArgs({
    inputPath: run.source,
    outputPath: run.outputFile,
    sourceEtag: run.job.sourceEtag,
    audio: plan.audio,
    cutAtSeconds: plan.frameRate === undefined ? undefined : plan.durationSeconds,
  });
  // Short next to the video segments: its progress is not counted.
  await encode(
    args,
    { videoId: run.job.videoId, durationSeconds: plan.durationSeconds, fonts: { dir: run.job.fontsDir, name: plan.fontName }, signal: run.signal },
    { ...run.deps, videos: UNCOUNTED_PROGRESS },
  );
  return [];
}
