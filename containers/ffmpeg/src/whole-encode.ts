/**
 * The whole job in one task: from the prepared subtitles and the uploaded source to the MP4 and its subtitle
 * sidecars in videos/ — or, for a source long enough for parallel segments, the plan of them
 * (segment-planning.ts), made from the same probe.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describeError } from '../../../functions/core/log.ts';
import type { TranscodeOutput } from '../../../functions/core/transcode-output.ts';
import { formatAssScript, subtitleFontSize } from './ass-script.ts';
import { audioTrackRecords } from './audio-plan.ts';
import { checkCuesCanBeDrawn, styleFontFor, subtitlesWithin } from './burn-in-subtitles.ts';
import { ensureOutputFits } from './disk-budget.ts';
import { encode } from './encode.ts';
import { buildTranscodeArgs, pinnedSourceOptions, sourceInputOptions } from './ffmpeg-command.ts';
import { ensureFontsAvailable } from './font-guard.ts';
import { elapsedSince, makeWorkDir, probeOptionsOf, taskCostSoFar, type TranscodeJob, type WorkerDeps } from './job.ts';
import { downloadPreparedSubtitles } from './media-storage.ts';
import { planOutput } from './output-plan.ts';
import { probe } from './probe.ts';
import { publishVideo, transcodeOutput } from './publish-output.ts';
import { DEFAULT_SEGMENT_SETTINGS } from './segment-plan.ts';
import { planSegmentsIfLong, type SegmentedOutput } from './segment-planning.ts';
import { chooseSourceRead, LAYOUT_PROBE_SECONDS } from './source-reading.ts';

export async function encodeWhole(
  job: TranscodeJob,
  deps: WorkerDeps,
  signal: AbortSignal,
  checkIn: () => Promise<void>,
): Promise<TranscodeOutput | SegmentedOutput> {
  const { logger } = deps;
  const startedAt = performance.now();
  const startedAtDate = new Date();
  logger.info('job started', {
    sourceKey: job.sourceKey,
    subtitlesKey: job.subtitlesKey,
    box: job.box,
    crf: job.crf,
    preset: job.preset,
  });
  await ensureFontsAvailable(job.fontsDir);

  const workDir = await makeWorkDir(deps.workDir, job.videoId);
  try {
    const files = {
      subtitles: join(workDir, 'subtitles.srt'),
      burnIn: join(workDir, 'burn-in.ass'),
      output: join(workDir, 'output.mp4'),
    };
    const probeOptions = probeOptionsOf(deps, signal);

    // The subtitles are downloaded; the source is located here and read by ffmpeg as it encodes: through its
    // URL, or from a copy when its streams are stored far apart (through the URL that costs thousands of GETs).
    const downloadStartedAt = performance.now();
    await downloadPreparedSubtitles(deps.s3, { bucket: job.bucket, key: job.subtitlesKey, file: files.subtitles, signal });
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

    const segmented = await planSegmentsIfLong(
      {
        videoId: job.videoId,
        bucket: job.bucket,
        executionId: job.executionId,
        source,
        read: { location: read.location, isCopy: read.location !== sourceLocation, inputOptions: sourceInputOptions(read.location, job.sourceEtag) },
        output: { size, video, frameRate, audio },
        style,
        warnings: [...cues.warnings, ...coverageWarnings, ...audioWarnings],
        timings: { download_ms: downloadMs, probe_ms: probeMs },
        startedAt: startedAtDate,
        settings: job.segmentSettings ?? DEFAULT_SEGMENT_SETTINGS,
      },
      { ...deps, probeTimeoutMs: probeOptions.timeoutMs, taskCostSoFar: () => taskCostSoFar(deps) },
      signal,
    );
    if (segmented !== undefined) return segmented;

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
      deps,
    );
    const encodeMs = elapsedSince(encodeStartedAt);
    // libass' own log lines tell the same story for characters the check already reported.
    const libassWarnings = coverageWarnings.length > 0 ? encoded.warnings.filter((warning) => !/no glyph/.test(warning)) : encoded.warnings;
    const warnings = [...cues.warnings, ...coverageWarnings, ...audioWarnings, ...libassWarnings];

    const published = await publishVideo(
      deps.s3,
      job,
      { file: files.output, sourceDurationSeconds: source.durationSeconds, cues: cues.kept },
      { probe: probeOptions, checkIn, signal },
    );

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

    const timings = { download_ms: downloadMs, probe_ms: probeMs, encode_ms: encodeMs, upload_ms: published.uploadMs, total_ms: elapsedSince(startedAt) };
    return transcodeOutput(published, timings, taskCostSoFar(deps));
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

