/**
 * The join of a segmented encode: the video segments concatenated without re-encoding, the audio encoded
 * once beside them, one MP4 with its moov first, published like a one-pass output (publish-output.ts). Its
 * cost is every task's of the job; its working files in temp/ are deleted once the video is in videos/.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TranscodeFailedError } from '../../../functions/core/errors.ts';
import { keys } from '../../../functions/core/keys.ts';
import { describeError } from '../../../functions/core/log.ts';
import { deleteObjects } from '../../../functions/core/storage.ts';
import type { TranscodeOutput } from '../../../functions/core/transcode-output.ts';
import { subtitlesWithin } from './burn-in-subtitles.ts';
import { totalCost } from './cost.ts';
import { encode } from './encode.ts';
import { elapsedSince, makeWorkDir, probeOptionsOf, taskCostSoFar, type TranscodeJob, type WorkerDeps } from './job.ts';
import { downloadObject, downloadPreparedSubtitles, getText } from './media-storage.ts';
import { UNCOUNTED_PROGRESS } from './progress.ts';
import { publishVideo, transcodeOutput } from './publish-output.ts';
import { buildJoinArgs, formatConcatList } from './segment-commands.ts';
import { readSegmentPlan, type SegmentPartReport } from './segment-encode.ts';
import { partExtension, type SegmentPart } from './segment-plan.ts';

export async function joinSegments(job: TranscodeJob, deps: WorkerDeps, signal: AbortSignal, checkIn: () => Promise<void>): Promise<TranscodeOutput> {
  const { logger } = deps;
  const workDir = await makeWorkDir(deps.workDir, job.videoId, 'join');
  try {
    const plan = await readSegmentPlan(deps.s3, job, signal);
    const downloadStartedAt = performance.now();
    const missing = (part: SegmentPart) => () => new TranscodeFailedError(`Segment ${part.id} of the video is missing from storage`);
    const fileOf = (part: SegmentPart) => join(workDir, `${part.id}.${partExtension(part)}`);
    const subtitlesFile = join(workDir, 'subtitles.srt');
    const [reports] = await Promise.all([
      Promise.all(
        plan.parts.map(async (part): Promise<SegmentPartReport> =>
          JSON.parse(await getText(deps.s3, { bucket: job.bucket, key: keys.segmentReport(job.videoId, part.id), signal }, missing(part))) as SegmentPartReport,
        ),
      ),
      ...plan.parts.map((part) =>
        downloadObject(deps.s3, { bucket: job.bucket, key: keys.segmentPart(job.videoId, part.id, partExtension(part)), file: fileOf(part), signal }, missing(part)),
      ),
      downloadPreparedSubtitles(deps.s3, { bucket: job.bucket, key: job.subtitlesKey, file: subtitlesFile, signal }),
    ]);
    const downloadMs = elapsedSince(downloadStartedAt);

    const videoParts = plan.parts.filter((part) => part.kind === 'video');
    const audioPart = plan.parts.find((part) => part.kind === 'audio');
    const listFile = join(workDir, 'segments.ffconcat');
    await writeFile(listFile, formatConcatList(videoParts.map((part) => ({ file: fileOf(part), durationSeconds: part.durationSeconds }))), 'utf8');
    const outputFile = join(workDir, 'output.mp4');
    const joinStartedAt = performance.now();
    await encode(
      buildJoinArgs({
        listPath: listFile,
        audioPath: audioPart === undefined ? undefined : fileOf(audioPart),
        outputPath: outputFile,
        videoOffsetSeconds: plan.videoStartSeconds - plan.fileStartSeconds,
      }),
      { videoId: job.videoId, durationSeconds: plan.durationSeconds, fonts: { dir: job.fontsDir, name: plan.fontName }, signal },
      // A copy takes seconds: the segments' progress stands meanwhile.
      { ...deps, videos: UNCOUNTED_PROGRESS },
    );
    const joinMs = elapsedSince(joinStartedAt);

    const cues = (await subtitlesWithin(subtitlesFile, plan.durationSeconds)).kept;
    const published = await publishVideo(
      deps.s3,
      job,
      { file: outputFile, sourceDurationSeconds: plan.durationSeconds, cues },
      { probe: probeOptionsOf(deps, signal), checkIn, signal },
    );

    const warnings = [...new Set(reports.flatMap((report) => report.warnings))];
    if (warnings.length > 0) {
      await deps.videos.addWarnings(job.videoId, warnings).catch((error: unknown) => logger.warn('warnings could not be written to the record', { error: describeError(error) }));
    }
    await deleteWorkingFiles(job, deps, plan.parts);

    const slowestPartMs = Math.max(...reports.map((report) => report.encode_ms));
    const timings = {
      download_ms: plan.plannerTimings.download_ms,
      probe_ms: plan.plannerTimings.probe_ms,
      // What a viewer waited on: the slowest part, then the join (its downloads and the copy).
      encode_ms: slowestPartMs + downloadMs + joinMs,
      upload_ms: published.uploadMs,
      total_ms: Date.now() - Date.parse(plan.startedAt),
    };
    const ownCost = taskCostSoFar(deps);
    logger.info('segments joined', { segments: videoParts.length, slowestPartMs, joinMs });
    return transcodeOutput(published, timings, totalCost([plan.plannerCost, ...reports.map((report) => report.cost), ownCost]));
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The plan, the parts and their reports: done with once the video is saved (the scheduled cleanup is the backstop). */
async function deleteWorkingFiles(job: TranscodeJob, deps: WorkerDeps, parts: readonly SegmentPart[]): Promise<void> {
  const workingKeys = [
    keys.segmentPlan(job.videoId),
    ...parts.flatMap((part) => [keys.segmentPart(job.videoId, part.id, partExtension(part)), keys.segmentReport(job.videoId, part.id)]),
  ];
  try {
    const failed = await deleteObjects(deps.s3, job.bucket, workingKeys);
    if (failed.length > 0) deps.logger.warn('some segment files stay in temp/ for the scheduled cleanup', { failed: failed.length });
  } catch (error) {
    deps.logger.warn('segment files stay in temp/ for the scheduled cleanup', { error: describeError(error) });
  }
}
