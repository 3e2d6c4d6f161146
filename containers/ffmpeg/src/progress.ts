/**
 * How far the encode has got: read from ffmpeg's `-progress` blocks, written to the video record for the
 * API to show.
 */
import { performance } from 'node:perf_hooks';
import { describeError, type Logger } from '../../../functions/core/log.ts';
import type { VideoRepository } from '../../../functions/core/video-repository.ts';

export interface ProgressUpdate {
  /** How much of the output is written, in seconds of media; undefined before the first frame. */
  outTimeSeconds: number | undefined;
  /** 0–100, or undefined when the duration is unknown. */
  percent: number | undefined;
  /** ffmpeg printed `progress=end`. */
  finished: boolean;
}

/**
 * Reads one or more `-progress` blocks (key=value lines ending with `progress=continue|end`);
 * the last values win.
 */
export function parseProgress(chunk: string, durationSeconds: number | undefined): ProgressUpdate {
  let outTimeMicroseconds: number | undefined;
  let finished = false;
  for (const line of chunk.split(/\r?\n/)) {
    const separator = line.indexOf('=');
    if (separator < 0) continue;
    const key = line.slice(0, separator).trim();
    const value = line.slice(separator + 1).trim();
    // out_time_ms is microseconds too (a historical misnomer FFmpeg keeps for compatibility);
    // it is the only one older builds print.
    if (key === 'out_time_us' || (key === 'out_time_ms' && outTimeMicroseconds === undefined)) {
      const parsed = Number(value);
      if (value !== '' && Number.isFinite(parsed) && parsed >= 0) outTimeMicroseconds = parsed;
    } else if (key === 'progress') {
      finished = value === 'end';
    }
  }

  const outTimeSeconds = outTimeMicroseconds === undefined ? undefined : outTimeMicroseconds / 1e6;
  let percent: number | undefined;
  if (finished) percent = 100;
  else if (outTimeSeconds !== undefined && durationSeconds !== undefined && durationSeconds > 0) {
    percent = Math.min(100, Math.max(0, (outTimeSeconds / durationSeconds) * 100));
  }
  return { outTimeSeconds, percent, finished };
}

export interface ProgressWriterDeps {
  videos: Pick<VideoRepository, 'updateProgress'>;
  logger: Logger;
  /** At most one write per this long, but for the final one. */
  progressIntervalMs: number;
}

export interface ProgressWriter {
  report(percent: number, options: { final: boolean }): void;
  /** Resolves once no write is in flight or pending. */
  settle(): Promise<void>;
}

/**
 * Progress is advisory: writes are throttled, one at a time, and a failed write is only logged.
 * The final value (ffmpeg's `progress=end`) is never dropped.
 */
export function createProgressWriter(videoId: string, deps: ProgressWriterDeps): ProgressWriter {
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
    report(percent, { final }) {
      if (inFlight !== undefined) {
        if (final) pendingFinal = percent;
        return;
      }
      if (!final && performance.now() - lastWriteAt < deps.progressIntervalMs) return;
      write(percent);
    },
    async settle() {
      while (inFlight !== undefined) await inFlight;
    },
  };
}

/** For an encode whose progress the record does not count (a segmented job's audio part, its join). */
export const UNCOUNTED_PROGRESS: ProgressWriterDeps['videos'] = { updateProgress: async () => true };
