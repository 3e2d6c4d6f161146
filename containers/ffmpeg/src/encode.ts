/**
 * The encode: runs the one ffmpeg pass and turns what it prints into progress on the record, font
 * warnings, and — when it fails — the error that says whose problem it is.
 */
import {
  InputInvalidError,
  SourceChangedError,
  StorageUnavailableError,
  TranscodeFailedError,
  TranscodeTimeoutError,
  WorkerMisconfiguredError,
} from '../../../functions/core/errors.ts';
import type { Logger } from '../../../functions/core/log.ts';
import { classifyFfmpegFailure, formatClock } from './ffmpeg-diagnostics.ts';
import { SOURCE_CHANGED_MESSAGE } from './media-storage.ts';
import { detectFontProblem } from './font-guard.ts';
import { superviseProcess } from './process-supervision.ts';
import { createProgressWriter, parseProgress, type ProgressWriterDeps } from './progress.ts';

export interface EncodeDeps extends ProgressWriterDeps {
  ffmpegPath: string;
  logger: Logger;
  /** A hung ffmpeg still lets the heartbeat run: only its silence on `-progress` tells (default 5 min). */
  stallTimeoutMs?: number | undefined;
}

export interface EncodeRun {
  videoId: string;
  /** What the source declares, for the percentage and for the messages. */
  durationSeconds: number | undefined;
  /** For the log when libass finds no font. */
  fonts: { dir: string; name: string };
  signal: AbortSignal;
}

const DEFAULT_STALL_TIMEOUT_MS = 300_000;

/** Resolves once ffmpeg has written the output, with what the record should say about it. */
export async function encode(args: string[], run: EncodeRun, deps: EncodeDeps): Promise<{ warnings: string[] }> {
  const { logger } = deps;
  const stallTimeoutMs = deps.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  const progress = createProgressWriter(run.videoId, deps);

  const missingGlyphs = new Set<string>();
  let fontNotFound: string | undefined;
  let block: string[] = [];
  let reachedSeconds: number | undefined;
  const ffmpeg = superviseProcess(deps.ffmpegPath, args, {
    name: 'ffmpeg',
    signal: run.signal,
    silenceTimeoutMs: stallTimeoutMs,
    onStdoutLine(line) {
      block.push(line);
      if (!line.startsWith('progress=')) return;
      const update = parseProgress(block.join('\n'), run.durationSeconds);
      block = [];
      if (update.outTimeSeconds !== undefined) reachedSeconds = update.outTimeSeconds;
      if (update.percent !== undefined) progress.report(update.percent, { final: update.finished });
    },
    onStderrLine(line) {
      const problem = detectFontProblem(line);
      if (problem?.kind === 'no_font' && fontNotFound === undefined) {
        fontNotFound = problem.font;
        // Nothing will be drawn: every further second of encoding is wasted.
        ffmpeg.kill();
      } else if (problem?.kind === 'missing_glyph') {
        missingGlyphs.add(problem.codePoint);
      } else if (problem?.kind === 'unreadable_font_file') {
        logger.warn('a file in the fonts directory is not a usable font', { file: problem.file });
      }
    },
  });
  const exit = await ffmpeg.exited.finally(() => progress.settle());
  const stderr = exit.stderrTail;

  if (fontNotFound !== undefined) {
    logger.error('libass found no font: the subtitles would not be drawn', {
      font: fontNotFound,
      fontsDir: run.fonts.dir,
      fontName: run.fonts.name,
      stderr,
    });
    throw new WorkerMisconfiguredError(
      `No font is available to draw the subtitles (${fontNotFound}); check FONTS_DIR and FONT_NAME`,
    );
  }
  if (exit.timedOut) {
    logger.error('ffmpeg made no progress and was stopped', { stallTimeoutMs, reachedSeconds, stderr });
    throw new TranscodeTimeoutError(
      `Encoding made no progress for ${Math.round(stallTimeoutMs / 100) / 10} s${reachedSeconds === undefined ? '' : ` at ${formatClock(reachedSeconds)}`} and was stopped`,
    );
  }
  if (exit.code !== 0) {
    logger.error('ffmpeg failed', { exitCode: exit.code, signal: exit.killedBy, stderr });
    const kind = exit.code === null ? 'encoder' : classifyFfmpegFailure(stderr);
    if (kind === 'input') {
      const where =
        reachedSeconds !== undefined && run.durationSeconds !== undefined
          ? ` past ${formatClock(reachedSeconds)} of ${formatClock(run.durationSeconds)}`
          : ' to its end';
      throw new InputInvalidError(`The uploaded video is damaged or truncated: it could not be decoded${where}`);
    }
    if (kind === 'storage') throw new StorageUnavailableError('Storage failed while the source was being read');
    if (kind === 'changed') throw new SourceChangedError(SOURCE_CHANGED_MESSAGE);
    throw new TranscodeFailedError(
      exit.code === null ? `FFmpeg was stopped by ${exit.killedBy ?? 'a signal'}` : `FFmpeg failed with exit code ${exit.code}`,
    );
  }
  if (missingGlyphs.size === 0) return { warnings: [] };
  // Not fatal: the rest of the text is drawn. Installing a font that covers these fixes it.
  const codePoints = [...missingGlyphs].slice(0, 50);
  logger.warn('some subtitle characters have no glyph in the available fonts and are drawn as empty boxes', {
    codePoints,
    fontsDir: run.fonts.dir,
  });
  const more = missingGlyphs.size > codePoints.length ? ` and ${missingGlyphs.size - codePoints.length} more` : '';
  return { warnings: [`${missingGlyphs.size} subtitle characters have no glyph in the available fonts and are drawn as empty boxes: ${codePoints.join(' ')}${more}`] };
}
