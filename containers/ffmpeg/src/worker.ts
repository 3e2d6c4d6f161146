/**
 * The FFmpeg worker: the Transcode step of the pipeline. The same bundle runs as the Fargate task on AWS
 * and as a child process of the local cloud.
 *
 * One job per process: download the source and the prepared subtitles, probe, scale + burn in + encode in
 * one ffmpeg pass, upload, and report to Step Functions with the task token (success with the output's
 * metadata, or failure with an error name the ASL can match). Heartbeats keep the task alive meanwhile.
 */
import { execFile, spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  TaskDoesNotExist,
  TaskTimedOut,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { z } from 'zod';
import { dynamodb, s3, sfn } from '../../../functions/core/clients.ts';
import { parseConfig } from '../../../functions/core/config.ts';
import {
  InputInvalidError,
  InternalError,
  isAppError,
  StorageUnavailableError,
  SubtitlesInvalidError,
  TranscodeFailedError,
  TranscodeTimeoutError,
  WorkerMisconfiguredError,
  type AppError,
} from '../../../functions/core/errors.ts';
import { keys, s3Uri } from '../../../functions/core/keys.ts';
import { createLogger, describeError, type Logger } from '../../../functions/core/log.ts';
import { createMetrics, METRIC_SERVICES, videoMetrics, type VideoMetrics } from '../../../functions/core/metrics.ts';
import { isEntryPoint } from './entry-point.ts';
import {
  dropCuesAfter,
  formatSrt,
  formatVtt,
  parseSubtitles,
  type Cue,
  type ParsedSubtitles,
} from '../../../functions/core/subtitles.ts';
import {
  buildTranscodeArgs,
  classifyFfmpegFailure,
  detectFontProblem,
  displayDimensions,
  estimateFargateCost,
  FARGATE_PRICES,
  fitWithinBox,
  FONT_FILE_PATTERN,
  formatClock,
  outputFrameRate,
  parseProbe,
  parseProgress,
  redactSignedUrls,
  truncationOf,
  type Dimensions,
  type ProbeResult,
  type TranscodeOutput,
} from '../../../functions/core/transcode.ts';
import { createVideoRepository, type VideoRepository } from '../../../functions/core/video-repository.ts';
import {
  CrfSchema,
  RESOLUTION_PRESETS,
  ResolutionSchema,
  X264PresetSchema,
  type X264Preset,
} from '../../../functions/core/video.ts';

// ---- configuration ---------------------------------------------------------------------------------

/** The worker's environment: the task definition sets the fixed part, the ASL's ContainerOverrides the job. */
export const WorkerConfigSchema = z.object({
  MEDIA_BUCKET: z.string().min(3),
  VIDEOS_TABLE: z.string().min(1),
  TASK_TOKEN: z.string().min(1),
  VIDEO_ID: z.string().min(1),
  /** The workflow execution running the job, for the log lines. */
  EXECUTION_ID: z.string().min(1).optional(),
  SOURCE_KEY: z.string().min(1),
  SUBTITLES_KEY: z.string().min(1),
  TARGET_RESOLUTION: ResolutionSchema,
  // ECS environment values are strings; `z.coerce` would turn "" into 0, so parse digits explicitly.
  CRF: z.string().trim().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(CrfSchema),
  PRESET: X264PresetSchema,
  FONTS_DIR: z.string().min(1).default('/usr/share/fonts/truetype/dejavu'),
  // Goes into libass' force_style, a comma-separated key=value list.
  FONT_NAME: z.string().regex(/^[^,=]+$/, 'must be a font family name').default('DejaVu Sans'),
  WORK_DIR: z.string().min(1).default(() => os.tmpdir()),
  /** Keep well under the Transcode state's HeartbeatSeconds (120). */
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
});
export type WorkerConfig = z.infer<typeof WorkerConfigSchema>;

// ---- the use case ----------------------------------------------------------------------------------

export interface TranscodeJob {
  videoId: string;
  taskToken: string;
  bucket: string;
  sourceKey: string;
  subtitlesKey: string;
  /** The output fits inside this box (a resolution preset). */
  box: Dimensions;
  crf: number;
  preset: X264Preset;
  fontsDir: string;
  fontName: string;
}

export interface WorkerDeps {
  s3: S3Client;
  sfn: SFNClient;
  videos: Pick<VideoRepository, 'updateProgress' | 'addWarnings'>;
  logger: Logger;
  /** Counts the job once it is reported done, with its encoding speed. */
  metrics?: Pick<VideoMetrics, 'saved'>;
  ffmpegPath: string;
  ffprobePath: string;
  /** Parent of the per-job work dir. */
  workDir: string;
  heartbeatIntervalMs: number;
  progressIntervalMs: number;
  /** No progress from ffmpeg for this long stops the encode as a timeout. */
  stallTimeoutMs?: number;
  probeTimeoutMs?: number;
  /** The task's size and prices, for the cost estimate (default 2 vCPU, 4 GB at on-demand prices). */
  cost?: { vcpu: number; memoryGb: number; prices?: { vcpuHourUsd: number; gbHourUsd: number } };
  /**
   * What ffmpeg reads the source from: in production a presigned URL (see presignedSourceLocator), so
   * decoding starts at once with HTTP range reads instead of after a full download, and the task's disk
   * only has to hold the output.
   */
  locateSource: (bucket: string, key: string, signal: AbortSignal) => Promise<string>;
  /** Aborting it stops the job without reporting (the process is being stopped). */
  signal?: AbortSignal;
}

/**
 * - succeeded / failed: reported to Step Functions.
 * - abandoned: nobody is waiting any more (the task token is dead, or the process is being stopped),
 *   so the job was stopped and nothing was reported.
 */
export type JobOutcome = 'succeeded' | 'failed' | 'abandoned';

/** Runs one job and reports it. Rejects only when the report itself could not be sent. */
export async function runTranscodeJob(job: TranscodeJob, deps: WorkerDeps): Promise<JobOutcome> {
  const { logger } = deps;
  const taskGone = new AbortController();
  const heartbeat = startHeartbeat(job.taskToken, deps, (reason) => taskGone.abort(reason));
  const abandoned = deps.signal ? AbortSignal.any([taskGone.signal, deps.signal]) : taskGone.signal;

  let result: { ok: true; output: TranscodeOutput } | { ok: false; error: unknown };
  try {
    result = { ok: true, output: await transcode(job, deps, abandoned, () => heartbeat.beatNow()) };
  } catch (error) {
    result = { ok: false, error };
  } finally {
    await heartbeat.stop();
  }

  if (abandoned.aborted) {
    logger.warn('job abandoned, nothing reported', { reason: describeError(abandoned.reason) });
    return 'abandoned';
  }

  if (result.ok) {
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: job.taskToken, output: JSON.stringify(result.output) }));
    logger.info('job succeeded', { output: result.output });
    deps.metrics?.saved({ encodeSeconds: result.output.timings.encode_ms / 1000, outputSeconds: result.output.duration });
    return 'succeeded';
  }

  const failure = toTaskFailure(result.error);
  logger.error('job failed', { error: failure.error, cause: failure.cause, detail: describeError(result.error) });
  await deps.sfn.send(new SendTaskFailureCommand({ taskToken: job.taskToken, ...failure }));
  return 'failed';
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
  // Before any download: a worker that cannot draw text must not get as far as encoding.
  await ensureFontsAvailable(job.fontsDir);

  const workDir = await mkdtemp(join(resolve(deps.workDir), `vidp-${job.videoId.replace(/[^\w-]/g, '_')}-`));
  try {
    const files = {
      subtitles: join(workDir, 'subtitles.srt'),
      burnIn: join(workDir, 'burn-in.srt'),
      output: join(workDir, 'output.mp4'),
    };

    // The subtitles are downloaded; the source is only located here and read by ffmpeg as it encodes.
    const downloadStartedAt = performance.now();
    await downloadObject(deps.s3, { bucket: job.bucket, key: job.subtitlesKey, file: files.subtitles, signal }, () =>
      new SubtitlesInvalidError('The prepared subtitles are no longer in storage'),
    );
    const sourceLocation = await deps.locateSource(job.bucket, job.sourceKey, signal);
    const downloadMs = elapsedSince(downloadStartedAt);

    const probeStartedAt = performance.now();
    const source = await probeSource(sourceLocation, deps, signal);
    const probeMs = elapsedSince(probeStartedAt);

    const displayed = displayDimensions(source.video);
    const size = fitWithinBox(displayed, job.box);
    const frameRate = outputFrameRate(source.video);
    logger.info('source probed', {
      source: { ...source.video, displayed, durationSeconds: source.durationSeconds, hasAudio: source.hasAudio },
      output: { ...size, frameRate: frameRate ?? 'as source' },
      downloadMs,
      probeMs,
    });

    // Cues that start after the video's end would never show: dropped here, where the duration is known.
    const cues = await subtitlesWithin(files.subtitles, source.durationSeconds);
    const warnings = [...cues.warnings];
    if (cues.kept.length > 0) await writeFile(files.burnIn, formatSrt(cues.kept), 'utf8');

    const encodeStartedAt = performance.now();
    await encode(
      buildTranscodeArgs({
        inputPath: sourceLocation,
        outputPath: files.output,
        subtitlesPath: cues.kept.length > 0 ? files.burnIn : undefined,
        fontsDir: resolve(job.fontsDir),
        fontName: job.fontName,
        width: size.width,
        height: size.height,
        crf: job.crf,
        preset: job.preset,
        hasAudio: source.hasAudio,
        frameRate,
      }),
      { job, deps, durationSeconds: source.durationSeconds, signal, warnings },
    );
    const encodeMs = elapsedSince(encodeStartedAt);

    const output = await probeOutput(files.output, deps, signal);
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
      uploadFile(deps.s3, { bucket: job.bucket, key: outputKey, file: files.output, signal }),
      putText(deps.s3, { bucket: job.bucket, key: sidecars.srt, body: formatSrt(cues.kept), contentType: 'application/x-subrip; charset=utf-8', signal }),
      putText(deps.s3, { bucket: job.bucket, key: sidecars.vtt, body: formatVtt(cues.kept), contentType: 'text/vtt; charset=utf-8', signal }),
    ]);
    const uploadMs = elapsedSince(uploadStartedAt);

    if (warnings.length > 0) {
      logger.warn('finished with warnings', { warnings });
      await deps.videos.addWarnings(job.videoId, warnings).catch((error: unknown) => {
        logger.warn('warnings could not be written to the record', { error: describeError(error) });
      });
    }

    // The process started with the task: its age is what Fargate bills (less the image pull).
    const taskSeconds = performance.now() / 1000;
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
      cost: estimateFargateCost({
        vcpu: deps.cost?.vcpu ?? 2,
        memoryGb: deps.cost?.memoryGb ?? 4,
        seconds: taskSeconds,
        ...(deps.cost?.prices === undefined ? {} : { prices: deps.cost.prices }),
      }),
      subtitle_files: { srt: s3Uri(job.bucket, sidecars.srt), vtt: s3Uri(job.bucket, sidecars.vtt) },
      cue_count: cues.kept.length,
      finished_at: new Date().toISOString(),
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

// ---- steps -----------------------------------------------------------------------------------------

async function ensureFontsAvailable(fontsDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(fontsDir);
  } catch (error) {
    throw new WorkerMisconfiguredError(`The fonts directory ${fontsDir} cannot be read`, { cause: error });
  }
  if (!entries.some((name) => FONT_FILE_PATTERN.test(name))) {
    throw new WorkerMisconfiguredError(`No font file (.ttf/.otf) in ${fontsDir}: subtitles could not be drawn`);
  }
}

/** The prepared subtitles, less the cues that start after the video ends. */
async function subtitlesWithin(file: string, durationSeconds: number | undefined): Promise<{ kept: Cue[]; warnings: string[] }> {
  let parsed: ParsedSubtitles;
  try {
    parsed = parseSubtitles(await readFile(file));
  } catch (error) {
    throw new SubtitlesInvalidError('The prepared subtitles could not be read', { cause: error });
  }
  if (durationSeconds === undefined) return { kept: parsed.cues, warnings: [] };
  const within = dropCuesAfter(parsed, Math.round(durationSeconds * 1000));
  // dropCuesAfter adds its warning after the parser's, which PrepareSubtitles has reported already.
  return { kept: within.cues, warnings: within.warnings.slice(parsed.warnings.length) };
}

async function putText(
  client: S3Client,
  target: { bucket: string; key: string; body: string; contentType: string; signal: AbortSignal },
): Promise<void> {
  try {
    await client.send(
      new PutObjectCommand({ Bucket: target.bucket, Key: target.key, Body: target.body, ContentType: target.contentType }),
      { abortSignal: target.signal },
    );
  } catch (error) {
    throw toStorageError(error, `uploading ${target.key}`);
  }
}

/** Seconds a source URL stays valid: longer than the Transcode state's TimeoutSeconds (4 h). */
const SOURCE_URL_TTL_SECONDS = 6 * 3600;

/**
 * The production source locator: confirms the upload is still there (a clear error now rather than an HTTP
 * 404 from inside ffmpeg) and presigns a GET for ffmpeg. Signed with the task role's credentials, the URL is
 * good for as long as they are; ffmpeg keeps its connection open and reconnects only on errors.
 */
export function presignedSourceLocator(client: S3Client): WorkerDeps['locateSource'] {
  return async (bucket, key, signal) => {
    let size: number | undefined;
    try {
      ({ ContentLength: size } = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }));
    } catch (error) {
      if (error instanceof NotFound || error instanceof NoSuchKey) {
        throw new InputInvalidError('The uploaded video is no longer in storage');
      }
      throw toStorageError(error, `looking up ${key}`);
    }
    if (size === 0) throw new InputInvalidError('The uploaded file is empty (0 bytes)');
    return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: SOURCE_URL_TTL_SECONDS });
  };
}

async function downloadObject(
  client: S3Client,
  target: { bucket: string; key: string; file: string; signal: AbortSignal },
  whenMissing: () => AppError,
): Promise<void> {
  try {
    const { Body } = await client.send(new GetObjectCommand({ Bucket: target.bucket, Key: target.key }), {
      abortSignal: target.signal,
    });
    if (!(Body instanceof Readable)) throw new Error(`GetObject ${target.key} returned no stream`);
    // Streamed to disk: sources can be gigabytes.
    await pipeline(Body, createWriteStream(target.file), { signal: target.signal });
  } catch (error) {
    if (error instanceof NoSuchKey) throw whenMissing();
    throw toStorageError(error, `downloading ${target.key}`);
  }
}

async function uploadFile(
  client: S3Client,
  target: { bucket: string; key: string; file: string; signal: AbortSignal },
): Promise<void> {
  // lib-storage switches to a multipart upload for large files and streams either way.
  const upload = new Upload({
    client,
    params: { Bucket: target.bucket, Key: target.key, Body: createReadStream(target.file), ContentType: 'video/mp4' },
  });
  const abortUpload = () => void upload.abort().catch(() => undefined);
  target.signal.addEventListener('abort', abortUpload, { once: true });
  try {
    await upload.done();
  } catch (error) {
    throw toStorageError(error, `uploading ${target.key}`);
  } finally {
    target.signal.removeEventListener('abort', abortUpload);
  }
}

const execFileAsync = promisify(execFile);

/** ffprobe's JSON; `failure` holds ffprobe's last error line when it could not read the file. */
async function runFfprobe(
  file: string,
  deps: WorkerDeps,
  signal: AbortSignal,
): Promise<{ json: string } | { failure: string }> {
  try {
    const { stdout } = await execFileAsync(
      deps.ffprobePath,
      ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file],
      { signal, maxBuffer: 16 * 1024 * 1024, timeout: deps.probeTimeoutMs ?? 120_000, killSignal: 'SIGKILL' },
    );
    return { json: stdout };
  } catch (error) {
    if (signal.aborted) throw error;
    if ((error as { killed?: boolean }).killed) {
      throw new TranscodeTimeoutError(`Inspecting the upload took longer than ${Math.round((deps.probeTimeoutMs ?? 120_000) / 1000)} s`);
    }
    if (isSpawnFailure(error)) {
      throw new WorkerMisconfiguredError(`ffprobe could not be started (${deps.ffprobePath})`, { cause: error });
    }
    // execFile's error carries the process' output.
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    const lastLine = stderr.trim().split('\n').at(-1) ?? '';
    // "…/source.mp4: Invalid data found when processing input": the location means nothing to users.
    const reason = lastLine.startsWith(`${file}: `) ? lastLine.slice(file.length + 2) : lastLine;
    return { failure: redactSignedUrls(reason).slice(0, 200) };
  }
}

async function probeSource(
  file: string,
  deps: WorkerDeps,
  signal: AbortSignal,
): Promise<ProbeResult & { video: NonNullable<ProbeResult['video']> }> {
  const probed = await runFfprobe(file, deps, signal);
  if ('failure' in probed) {
    const reason = probed.failure ? ` (${probed.failure})` : '';
    throw new InputInvalidError(`The uploaded file could not be read as a video${reason}`);
  }
  const result = parseProbe(probed.json);
  if (result.video === undefined) throw new InputInvalidError('The uploaded file has no video stream');
  return { ...result, video: result.video };
}

async function probeOutput(
  file: string,
  deps: WorkerDeps,
  signal: AbortSignal,
): Promise<ProbeResult & { video: NonNullable<ProbeResult['video']> }> {
  const probed = await runFfprobe(file, deps, signal);
  const result = 'json' in probed ? parseProbe(probed.json) : undefined;
  if (result?.video === undefined) {
    throw new TranscodeFailedError('FFmpeg produced an output that is not a readable video');
  }
  return { ...result, video: result.video };
}

const STDERR_LINES_KEPT = 30;

/**
 * Runs ffmpeg (never through a shell) and watches it: `-progress` blocks on stdout become progress
 * writes, stderr feeds the font guard and keeps its last lines for the log should ffmpeg fail.
 */
async function encode(
  args: string[],
  context: { job: TranscodeJob; deps: WorkerDeps; durationSeconds: number | undefined; signal: AbortSignal; warnings: string[] },
): Promise<void> {
  const { job, deps, durationSeconds, signal } = context;
  const { logger } = deps;
  const progress = createProgressWriter(job.videoId, deps);
  const child = spawn(deps.ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });

  const stderrTail: string[] = [];
  const missingGlyphs = new Set<string>();
  let fontNotFound: string | undefined;
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderrTail.push(redactSignedUrls(line));
    if (stderrTail.length > STDERR_LINES_KEPT) stderrTail.shift();
    const problem = detectFontProblem(line);
    if (problem?.kind === 'no_font' && fontNotFound === undefined) {
      fontNotFound = problem.font;
      // Nothing will be drawn: every further second of encoding is wasted.
      child.kill('SIGKILL');
    } else if (problem?.kind === 'missing_glyph') {
      missingGlyphs.add(problem.codePoint);
    } else if (problem?.kind === 'unreadable_font_file') {
      logger.warn('a file in the fonts directory is not a usable font', { file: problem.file });
    }
  });

  let block: string[] = [];
  let reachedSeconds: number | undefined;
  let lastSignOfLifeAt = performance.now();
  createInterface({ input: child.stdout }).on('line', (line) => {
    lastSignOfLifeAt = performance.now();
    block.push(line);
    if (!line.startsWith('progress=')) return;
    const update = parseProgress(block.join('\n'), durationSeconds);
    block = [];
    if (update.outTimeSeconds !== undefined) reachedSeconds = update.outTimeSeconds;
    if (update.percent !== undefined) progress.report(update.percent, { final: update.finished });
  });

  // A hung ffmpeg still lets the heartbeat run: only its silence on -progress tells.
  const stallTimeoutMs = deps.stallTimeoutMs ?? 300_000;
  let stalled = false;
  const watchdog = setInterval(() => {
    if (performance.now() - lastSignOfLifeAt < stallTimeoutMs) return;
    stalled = true;
    child.kill('SIGKILL');
  }, Math.min(1000, stallTimeoutMs / 4));

  // Settles on 'close' only, which follows 'error' too (failed spawn, abort): the work dir is never
  // removed under a still running ffmpeg.
  let startError: unknown;
  child.once('error', (error) => {
    startError = error;
  });
  const exit = await new Promise<{ code: number | null; killedBy: NodeJS.Signals | null }>((resolveExit) => {
    child.once('close', (code, killedBy) => resolveExit({ code, killedBy }));
  });
  clearInterval(watchdog);
  await progress.settle();

  if (signal.aborted) throw signal.reason;
  if (startError !== undefined) {
    if (isSpawnFailure(startError)) {
      throw new WorkerMisconfiguredError(`ffmpeg could not be started (${deps.ffmpegPath})`, { cause: startError });
    }
    throw startError;
  }
  if (fontNotFound !== undefined) {
    logger.error('libass found no font: the subtitles would not be drawn', {
      font: fontNotFound,
      fontsDir: job.fontsDir,
      fontName: job.fontName,
      stderr: stderrTail,
    });
    throw new WorkerMisconfiguredError(
      `No font is available to draw the subtitles (${fontNotFound}); check FONTS_DIR and FONT_NAME`,
    );
  }
  if (stalled) {
    logger.error('ffmpeg made no progress and was stopped', { stallTimeoutMs, reachedSeconds, stderr: stderrTail });
    throw new TranscodeTimeoutError(
      `Encoding made no progress for ${Math.round(stallTimeoutMs / 100) / 10} s${reachedSeconds === undefined ? '' : ` at ${formatClock(reachedSeconds)}`} and was stopped`,
    );
  }
  if (exit.code !== 0) {
    logger.error('ffmpeg failed', { exitCode: exit.code, signal: exit.killedBy, stderr: stderrTail });
    const kind = exit.code === null ? 'encoder' : classifyFfmpegFailure(stderrTail);
    if (kind === 'input') {
      const where =
        reachedSeconds !== undefined && durationSeconds !== undefined
          ? ` past ${formatClock(reachedSeconds)} of ${formatClock(durationSeconds)}`
          : ' to its end';
      throw new InputInvalidError(`The uploaded video is damaged or truncated: it could not be decoded${where}`);
    }
    if (kind === 'storage') throw new StorageUnavailableError('Storage failed while the source was being read');
    throw new TranscodeFailedError(
      exit.code === null ? `FFmpeg was stopped by ${exit.killedBy ?? 'a signal'}` : `FFmpeg failed with exit code ${exit.code}`,
    );
  }
  if (missingGlyphs.size > 0) {
    // Not fatal: the rest of the text is drawn. Installing a font that covers these fixes it.
    const codePoints = [...missingGlyphs].slice(0, 50);
    logger.warn('some subtitle characters have no glyph in the available fonts and were left out', {
      codePoints,
      fontsDir: job.fontsDir,
    });
    context.warnings.push(`Some subtitle characters have no glyph in the available fonts and were left out: ${codePoints.join(' ')}`);
  }
}

// ---- heartbeat and progress --------------------------------------------------------------------------

/**
 * Heartbeats for the whole job (downloads and uploads of big files take time too). When Step Functions
 * says the token is dead, nobody waits for this job any more: `onTaskGone` stops it.
 */
function startHeartbeat(
  taskToken: string,
  deps: Pick<WorkerDeps, 'sfn' | 'logger' | 'heartbeatIntervalMs'>,
  onTaskGone: (reason: unknown) => void,
) {
  let stopped = false;
  let inFlight: Promise<void> | undefined;
  const beat = async () => {
    try {
      await deps.sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
    } catch (error) {
      if (stopped) return;
      if (error instanceof TaskTimedOut || error instanceof TaskDoesNotExist || error instanceof InvalidToken) {
        onTaskGone(error);
      } else {
        deps.logger.warn('heartbeat failed, trying again at the next interval', { error: describeError(error) });
      }
    }
  };
  const timer = setInterval(() => {
    if (inFlight !== undefined) return;
    inFlight = beat().finally(() => {
      inFlight = undefined;
    });
  }, deps.heartbeatIntervalMs);
  return {
    /** Beats at once (after any beat in flight): a task that is gone aborts the job before this resolves. */
    async beatNow(): Promise<void> {
      await inFlight;
      await beat();
    },
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}

/**
 * Progress is advisory: writes are throttled, one at a time, and a failed write is only logged.
 * The final value (ffmpeg's `progress=end`) is never dropped.
 */
function createProgressWriter(videoId: string, deps: Pick<WorkerDeps, 'videos' | 'logger' | 'progressIntervalMs'>) {
  let lastWriteAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | undefined;
  let pendingFinal: number | undefined;

  const write = (percent: number) => {
    lastWriteAt = performance.now();
    deps.logger.info('transcode progress', { percent: Math.round(percent * 10) / 10 });
    inFlight = deps.videos
      .updateProgress(videoId, percent)
      .then(
        () => undefined,
        (error: unknown) => deps.logger.warn('progress write failed', { error: describeError(error) }),
      )
      .finally(() => {
        inFlight = undefined;
        if (pendingFinal !== undefined) {
          const final = pendingFinal;
          pendingFinal = undefined;
          write(final);
        }
      });
  };

  return {
    report(percent: number, { final }: { final: boolean }): void {
      if (inFlight !== undefined) {
        if (final) pendingFinal = percent;
        return;
      }
      if (!final && performance.now() - lastWriteAt < deps.progressIntervalMs) return;
      write(percent);
    },
    async settle(): Promise<void> {
      while (inFlight !== undefined) await inFlight;
    },
  };
}

// ---- errors ----------------------------------------------------------------------------------------

/**
 * What SendTaskFailure carries: `error` is the AppError's class name (what the ASL's Retry/Catch match),
 * `cause` a JSON `{ code, message }` for MarkFailed. Anything unexpected becomes a generic InternalError;
 * its details stay in the log.
 */
export function toTaskFailure(error: unknown): { error: string; cause: string } {
  const appError = isAppError(error)
    ? error
    : new InternalError('The video could not be processed because of an internal error');
  return { error: appError.name, cause: JSON.stringify({ code: appError.code, message: appError.message }) };
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * S3 failures that may pass (5xx, throttling, network) become StorageUnavailableError, which the ASL
 * retries; a refusal (403, missing bucket) is a deployment problem. Anything else is left as it is.
 */
function toStorageError(error: unknown, action: string): unknown {
  if (!(error instanceof Error) || isAppError(error) || error.name === 'AbortError') return error;
  if (error instanceof S3ServiceException) {
    const status = error.$metadata?.httpStatusCode;
    if (error.$fault === 'server' || status === 429 || (status !== undefined && status >= 500)) {
      return new StorageUnavailableError(`Storage was unavailable while ${action}`, { cause: error });
    }
    if (status === 403 || error.name === 'AccessDenied' || error.name === 'NoSuchBucket') {
      return new WorkerMisconfiguredError(`Storage refused the worker while ${action} (${error.name})`, {
        cause: error,
      });
    }
    return error;
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (error.name === 'TimeoutError' || (code !== undefined && NETWORK_ERROR_CODES.has(code))) {
    return new StorageUnavailableError(`Storage was unreachable while ${action}`, { cause: error });
  }
  return error;
}

function isSpawnFailure(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'EACCES';
}

// ---- small helpers ---------------------------------------------------------------------------------

function elapsedSince(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}

// ---- the entry point -------------------------------------------------------------------------------

export function jobFromConfig(config: WorkerConfig): TranscodeJob {
  return {
    videoId: config.VIDEO_ID,
    taskToken: config.TASK_TOKEN,
    bucket: config.MEDIA_BUCKET,
    sourceKey: config.SOURCE_KEY,
    subtitlesKey: config.SUBTITLES_KEY,
    box: RESOLUTION_PRESETS[config.TARGET_RESOLUTION],
    crf: config.CRF,
    preset: config.PRESET,
    fontsDir: config.FONTS_DIR,
    fontName: config.FONT_NAME,
  };
}

/** Returns the exit code: 0 once the job is reported, whatever its result; 1 when nothing could be reported. */
async function main(env: NodeJS.ProcessEnv): Promise<number> {
  let config: WorkerConfig;
  try {
    config = parseConfig(WorkerConfigSchema, env);
  } catch (configError) {
    // A broken task definition still owes the workflow an answer, if it gave us a token to answer with.
    // The message names the variables and what is wrong with them, never their values.
    const logger = createLogger({ videoId: env.VIDEO_ID, executionId: env.EXECUTION_ID });
    const problem = configError instanceof Error ? configError.message : 'Invalid configuration';
    logger.error('worker configuration is invalid', { problem });
    if (!env.TASK_TOKEN) return 1;
    try {
      const failure = toTaskFailure(new WorkerMisconfiguredError(problem));
      await sfn.send(new SendTaskFailureCommand({ taskToken: env.TASK_TOKEN, ...failure }));
      return 0;
    } catch (error) {
      logger.error('could not report the failure', { error: describeError(error) });
      return 1;
    }
  }

  const logger = createLogger({ videoId: config.VIDEO_ID, executionId: config.EXECUTION_ID });
  // Node as PID 1 in a container gets no default SIGTERM handling: without this, ECS StopTask would
  // wait its full stop timeout while ffmpeg keeps encoding for nobody.
  const stopping = new AbortController();
  process.once('SIGTERM', () => stopping.abort(new Error('SIGTERM received')));
  try {
    const outcome = await runTranscodeJob(jobFromConfig(config), {
      s3,
      sfn,
      videos: createVideoRepository(dynamodb, config.VIDEOS_TABLE),
      logger,
      metrics: videoMetrics(createMetrics(METRIC_SERVICES.worker)),
      ffmpegPath: config.FFMPEG_PATH,
      ffprobePath: config.FFPROBE_PATH,
      workDir: config.WORK_DIR,
      heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_SECONDS * 1000,
      progressIntervalMs: config.PROGRESS_INTERVAL_SECONDS * 1000,
      stallTimeoutMs: config.STALL_TIMEOUT_SECONDS * 1000,
      probeTimeoutMs: config.PROBE_TIMEOUT_SECONDS * 1000,
      cost: {
        vcpu: config.FARGATE_VCPU,
        memoryGb: config.FARGATE_MEMORY_GB,
        prices: { vcpuHourUsd: config.FARGATE_VCPU_HOUR_USD, gbHourUsd: config.FARGATE_GB_HOUR_USD },
      },
      locateSource: presignedSourceLocator(s3),
      signal: stopping.signal,
    });
    return outcome === 'abandoned' ? 1 : 0;
  } catch (error) {
    logger.error('could not report the job result', { error: describeError(error) });
    return 1;
  }
}

if (isEntryPoint(import.meta.url)) {
  // process.exit, not exitCode: an idle keep-alive socket must not keep a finished Fargate task running.
  // Log lines are already out: stdout writes to files and pipes are synchronous on Linux.
  main(process.env).then(
    (code) => process.exit(code),
    () => process.exit(1),
  );
}
