import { statfs } from 'node:fs/promises';
import { OutputTooLargeError } from '../../../functions/core/errors.ts';
import type { OutputPlan } from './output-plan.ts';
import type { ProbedVideo } from './probe.ts';

/**
 * The most an x264 encode at `crf` can plausibly write, in bits per pixel per frame. At CRF 23 grainy or
 * noisy footage peaks around 0.15 bpp (clean footage is far below); x264 roughly doubles the bitrate for
 * every 6 CRF steps down. An upper bound on purpose: refusing a job up front must not be a guess that
 * fails real videos, only one that catches a disk that cannot possibly hold the result.
 */
export function worstCaseBitsPerPixel(crf: number): number {
  return 0.15 * 2 ** ((23 - crf) / 6);
}

export interface PlannedOutput {
  durationSeconds: number;
  width: number;
  height: number;
  framesPerSecond: number;
  crf: number;
  /** Whole-file audio, at most. */
  audioBitsPerSecond: number;
}

/** The output's size in bytes at the worst-case bitrate, plus 2 % for the MP4 boxes. */
export function worstCaseOutputBytes(plan: PlannedOutput): number {
  const videoBits = plan.width * plan.height * plan.framesPerSecond * worstCaseBitsPerPixel(plan.crf) * plan.durationSeconds;
  const audioBits = plan.audioBitsPerSecond * plan.durationSeconds;
  return Math.ceil(((videoBits + audioBits) / 8) * 1.02);
}

function readableSize(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.ceil(bytes / 1e6)} MB`;
}

/**
 * Refuses, before any encoding is billed, a job whose output may not fit on the task's disk (the work
 * dir holds the output, and the source only when it was copied, which is then already there: see
 * source-reading.ts). Hours into an encode is the wrong moment to
 * find out, and a full disk would fail it as something it is not.
 */
export async function ensureDiskRoom(workDir: string, plan: PlannedOutput, freeBytes = freeBytesAt): Promise<void> {
  const needed = worstCaseOutputBytes(plan);
  const free = await freeBytes(workDir);
  if (needed <= free) return;
  throw new OutputTooLargeError(
    `At CRF ${plan.crf}, ${plan.width}x${plan.height} for ${Math.round(plan.durationSeconds)} s may need up to ` +
      `${readableSize(needed)}, more than the ${readableSize(free)} the worker has: choose a higher CRF or a ` +
      'smaller resolution, or give the task more ephemeral storage',
    { details: { needed_bytes: needed, free_bytes: free } },
  );
}

export async function freeBytesAt(directory: string): Promise<number> {
  const stats = await statfs(directory);
  return stats.bavail * stats.bsize;
}

/** ensureDiskRoom for an output plan: a source of unknown duration cannot be judged, and is let through. */
export async function ensureOutputFits(
  workDir: string,
  output: Pick<OutputPlan, 'size' | 'frameRate' | 'audio'> & { source: ProbedVideo; crf: number },
  freeBytes?: (directory: string) => Promise<number>,
): Promise<void> {
  const { source, size, frameRate, audio, crf } = output;
  if (source.durationSeconds === undefined) return;
  await ensureDiskRoom(
    workDir,
    {
      durationSeconds: source.durationSeconds,
      ...size,
      framesPerSecond: frameRate ?? source.video.frameRate.base ?? source.video.frameRate.average ?? 60,
      crf,
      audioBitsPerSecond: audio === undefined ? 0 : Math.max(audio.bitsPerSecond, audio.kept.bitRate ?? 0),
    },
    freeBytes,
  );
}
