/**
 * The use case: one transcode job, from the prepared subtitles and the uploaded source to the MP4 and its
 * subtitle sidecars in videos/, reported to Step Functions with the task token (success with the output's
 * metadata, or failure with an error name the ASL can match). Heartbeats keep the task alive meanwhile.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { S3Client } from '@aws-sdk/client-s3';
import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { InputInvalidError, isAppError, SubtitlesInvalidError } from '../../../functions/core/errors.ts';
import { keys, s3Uri } from '../../../functions/core/keys.ts';
import { describeError, type Logger } from '../../../functions/core/log.ts';
import type { VideoMetrics } from '../../../functions/core/metrics.ts';
import { formatSidecarSrt, formatVtt } from '../../../functions/core/subtitle-sidecars.ts';
import type { TranscodeOutput } from '../../../functions/core/transcode-output.ts';
import type { VideoRepository } from '../../../functions/core/video-repository.ts';
import type { X264Preset } from '../../../functions/core/video.ts';
import { formatAssScript, subtitleFontSize } from './ass-script.ts';
import { audioTrackRecords } from './audio-plan.ts';
import { checkCuesCanBeDrawn, styleFontFor, subtitlesWithin } from './burn-in-subtitles.ts';
import { estimateFargateCost, type FargateTaskSize } from './cost.ts';
import { ensureOutputFits } from './disk-budget.ts';
import { encode } from './encode.ts';
import { reportTaskFailure, toTaskFailure } from './failures.ts';
import { buildTranscodeArgs, displayDimensions, pinnedSourceOptions, type Dimensions } from './ffmpeg-command.ts';
import { truncationOf } from './ffmpeg-diagnostics.ts';
import { ensureFontsAvailable } from './font-guard.ts';
import type { FontCoverage, MissingGlyphsMode } from './glyph-coverage.ts';
import { startHeartbeat } from './heartbeat.ts';
import { downloadObject, putText, uploadFile, type SourceLocator } from './media-storage.ts';
import { planOutput } from './output-plan.ts';
import { probe } from './probe.ts';
import { chooseSourceRead, LAYOUT_PROBE_SECONDS } from './source-reading.ts';
import { recordTranscodeTask } from './task-metadata.ts';

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
}

export interface WorkerDeps {
  s3: S3Client;
  sfn: SFNClient;
  videos: Pick<VideoRepository, 'updateProgress' | 'addWarnings' | 'recordTranscodeTask' | 'recordAudioTracks'>;
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

/** Runs one job and reports it. Rejects only when the report itself could not be sent. */
export async function runTranscodeJob(job: TranscodeJob, deps: WorkerDeps): Promise<JobOutcome> {
  const { logger } = deps;
  const taskGone = new AbortController();
  const heartbeat = startHeartbeat(job.taskToken, deps, (reason) => taskGone.abort(reason));
  const abandoned = deps.signal ? AbortSignal.any([taskGone.signal, deps.signal]) : taskGone.signal;
  await recordTranscodeTask({ videoId: job.videoId, executionId: job.executionId, taskArn: deps.taskArn, videos: deps.videos, logger });

  let result: { ok: true; output: TranscodeOutput } | { ok: false; error: unknown };
  try {
    result = { ok: true, output: await transcode(job, deps, abandoned, () => heartbeat.beatNow()) };
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
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: job.taskToken, output: JSON.stringify(result.output) }));
    logger.info('job succeeded', { output: result.output });
    deps.metrics?.saved({ encodeSeconds: result.output.timings.encode_ms / 1000, outputSeconds: result.output.duration });
    return 'succeeded';
  }

  const failure = toTaskFailure(result.error);
  logger.error('job failed', { error: failure.error, cause: failure.cause, detail: describeError(result.error) });
  return reportTaskFailure(deps.sfn, job.taskToken, failure, logger);
}

async function transcode(
  job: TranscodeJob,
  deps: WorkerDeps,
  signal: AbortSignal,
  checkIn: () => Promise<void>,
): Promise<TranscodeOutput> {
  const { logger } = deps;
  const startedAt = performance.now();
  logger.info('job started', {
    sourceKey: job.sourceKey,
    subtitlesKey: job.subtitlesKey,
    box: job.box,
    crf: job.crf,
    preset: job.preset,
  });
  await ensureFontsAvailable(job.fontsDir);

  const workDir = await mkdtemp(join(resolve(deps.workDir), `vidp-${job.videoId.replace(/[^\w-]/g, '_')}-`));
  try {
    const files = {
      subtitles: join(workDir, 'subtitles.srt'),
      burnIn: join(workDir, 'burn-in.ass'),
      output: join(workDir, 'output.mp4'),
    };
    const probeOptions = { ffprobePath: deps.ffprobePath, timeoutMs: deps.probeTimeoutMs ?? 120_000, signal };

    // The subtitles are downloaded; the source is located here and read by ffmpeg as it encodes: through its
    // URL, or from a copy when its streams are stored far apart (through the URL that costs thousands of GETs).
    const downloadStartedAt = performance.now();
    await downloadObject(deps.s3, { bucket: job.bucket, key: job.subtitlesKey, file: files.subtitles, signal }, () =>
      new SubtitlesInvalidError('The prepared subtitles are no longer in storage'),
    );
    const sourceLocation = await deps.locateSource(job.bucket, job.sourceKey, job.sourceEtag, signal);
    const locateMs = elapsedSince(downloadStartedAt);

    const probeStartedAt = performance.now();
    const pinned = pinnedSourceOptions(sourceLocation, job.sourceEtag);
    const source = await probe(sourceLocation, 'source', { ...probeOptions, inputOptions: pinned, firstPacketsSeconds: LAYOUT_PROBE_SECONDS });
    const probeMs = elapsedSince(probeStartedAt);
    const object = { bucket: job.bucket, key: job.sourceKey, etag: job.sourceEtag };
    const read = await chooseSourceRead(source, { location: sourceLocation, s3: deps.s3, object, workDir, signal, logger, freeDiskBytes: deps.freeDiskBytes });
    const downloadMs = locateMs + read.copyMs;

    const { displayed, size, video, frameRate, audio, audioWarnings } = await planOutput(source, {
      location: read.location,
      etag: job.sourceEtag,
      box: job.box,
      ffmpegPath: deps.ffmpegPath,
      timeoutMs: probeOptions.timeoutMs,
      signal,
    });
    const fieldMotion = video.fieldMotion;
    logger.info('source probed', {
      source: { ...source.video, displayed, durationSeconds: source.durationSeconds, hasAudio: source.hasAudio, audio: source.audio, fieldMotion },
      output: { ...size, frameRate: frameRate ?? 'as source', audio: audio === undefined ? 'none' : { index: audio.kept.index, copy: audio.copy, bitsPerSecond: audio.bitsPerSecond } },
      downloadMs,
      probeMs,
    });

    await ensureOutputFits(workDir, { source, size, frameRate, audio, crf: job.crf }, deps.freeDiskBytes);

    // Cues that start after the video's end would never show: dropped here, where the duration is known.
    const cues = await subtitlesWithin(files.subtitles, source.durationSeconds);

    // Glyph coverage, before a second of encoding: libass would draw boxes and ffmpeg still exit 0.
    const coverageWarnings = await checkCuesCanBeDrawn(cues.kept, {
      fontsDir: resolve(job.fontsDir),
      mode: job.missingGlyphs ?? 'warn',
      logger,
      ...(deps.fontCoverage === undefined ? {} : { fontCoverage: deps.fontCoverage }),
    });
    const fontName = await styleFontFor(job.subtitleLanguage, { fontName: job.fontName, logger });
    const style = { fontName, fontSize: subtitleFontSize(size.width, size.height) };
    if (cues.kept.length > 0) await writeFile(files.burnIn, formatAssScript(cues.kept, style), 'utf8');

    const encodeStartedAt = performance.now();
    const encoded = await encode(
      buildTranscodeArgs({
        inputPath: read.location,
        outputPath: files.output,
        subtitlesPath: cues.kept.length > 0 ? files.burnIn : undefined,
        fontsDir: resolve(job.fontsDir),
        width: size.width,
        height: size.height,
        crf: job.crf,
        preset: job.preset,
        hasAudio: source.hasAudio,
        video,
        audio,
        frameRate,
        durationSeconds: source.durationSeconds,
        sourceEtag: job.sourceEtag,
      }),
      { videoId: job.videoId, durationSeconds: source.durationSeconds, fonts: { dir: job.fontsDir, name: fontName }, signal },
      { ...deps, stallTimeoutMs: deps.stallTimeoutMs ?? 300_000 },
    );
    const encodeMs = elapsedSince(encodeStartedAt);
    // libass' own log lines tell the same story for characters the check already reported.
    const libassWarnings = coverageWarnings.length > 0 ? encoded.warnings.filter((warning) => !/no glyph/.test(warning)) : encoded.warnings;
    const warnings = [...cues.warnings, ...coverageWarnings, ...audioWarnings, ...libassWarnings];

    const output = await probe(files.output, 'output', probeOptions);
    const truncated = truncationOf(source.durationSeconds, output.durationSeconds);
    if (truncated !== undefined) throw new InputInvalidError(truncated);
    const outputSize = displayDimensions(output.video);
    const { size: fileSize } = await stat(files.output);

    // Nothing is written to videos/ for an execution that was stopped meanwhile (the video deleted, say):
    // a heartbeat now turns a dead task token into an abandoned job before any upload starts.
    await checkIn();
    if (signal.aborted) throw signal.reason;

    const outputKey = keys.output(job.videoId);
    const sidecars = { srt: keys.subtitleSidecar(job.videoId, 'srt'), vtt: keys.subtitleSidecar(job.videoId, 'vtt') };
    const uploadStartedAt = performance.now();
    await Promise.all([
      uploadFile(deps.s3, { bucket: job.bucket, key: outputKey, file: files.output, contentType: 'video/mp4', signal }),
      putText(deps.s3, { bucket: job.bucket, key: sidecars.srt, body: formatSidecarSrt(cues.kept), contentType: 'application/x-subrip; charset=utf-8', signal }),
      putText(deps.s3, { bucket: job.bucket, key: sidecars.vtt, body: formatVtt(cues.kept), contentType: 'text/vtt; charset=utf-8', signal }),
    ]);
    const uploadMs = elapsedSince(uploadStartedAt);

    if (audio !== undefined) {
      await deps.videos.recordAudioTracks(job.videoId, audioTrackRecords(source.audio, audio.kept)).catch((error: unknown) => {
        logger.warn('audio tracks could not be written to the record', { error: describeError(error) });
      });
    }
    if (warnings.length > 0) {
      logger.warn('finished with warnings', { warnings });
      await deps.videos.addWarnings(job.videoId, warnings).catch((error: unknown) => {
        logger.warn('warnings could not be written to the record', { error: describeError(error) });
      });
    }

    return {
      duration: Math.round((output.durationSeconds ?? 0) * 1000) / 1000,
      width: outputSize.width,
      height: outputSize.height,
      resolution: `${outputSize.width}x${outputSize.height}`,
      file_size: fileSize,
      s3_uri: s3Uri(job.bucket, outputKey),
      output_key: outputKey,
      timings: {
        download_ms: downloadMs,
        probe_ms: probeMs,
        encode_ms: encodeMs,
        upload_ms: uploadMs,
        total_ms: elapsedSince(startedAt),
      },
      // The process started with the task: its age is what Fargate bills (less the image pull).
      cost: estimateFargateCost({ vcpu: 2, memoryGb: 4, ...deps.cost, seconds: performance.now() / 1000 }),
      subtitle_files: { srt: s3Uri(job.bucket, sidecars.srt), vtt: s3Uri(job.bucket, sidecars.vtt) },
      cue_count: cues.kept.length,
      finished_at: new Date().toISOString(),
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

function elapsedSince(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}
