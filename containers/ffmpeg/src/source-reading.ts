/**
 * How ffmpeg reads the source: through its presigned URL (decoding starts at once, the task's disk holds only
 * the output), unless the file stores its streams far apart — then from a copy on the task's disk.
 *
 * Why: the MP4 demuxer reads the streams' packets in time order, so in a non-interleaved file (all the video,
 * then all the audio) it jumps between the two regions at every packet, and a jump that ffmpeg cannot serve
 * from what it has read ahead is a new HTTP range request. Measured with ffmpeg 5.1 against the local S3: a
 * 10 s clip stored video-then-audio cost 452 GETs, a 60 s one 2,954 GETs and 5.9× the encode time; their
 * interleaved twins 3 each. A copy costs one sequential GET (and the source's size on disk); ffmpeg's own
 * alternatives do not come close: its `cache:` protocol still made 132 GETs, `short_seek_size` 1,477 (18×
 * slower, re-reading what it skips).
 */
import { extname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { S3Client } from '@aws-sdk/client-s3';
import { InputInvalidError } from '../../../functions/core/errors.ts';
import type { Logger } from '../../../functions/core/log.ts';
import { planAudio } from './audio-plan.ts';
import { freeBytesAt } from './disk-budget.ts';
import { isRemote } from './ffmpeg-command.ts';
import { downloadObject, SOURCE_GONE_MESSAGE } from './media-storage.ts';
import type { ProbedVideo } from './probe.ts';

/**
 * Seconds of packets the source's probe lists to see where each stream starts: one second holds the first
 * packet of every stream that starts with the video, and reading it costs a few range requests.
 */
export const LAYOUT_PROBE_SECONDS = 1;

/**
 * Streams whose first packets lie further apart than this are read from a copy. How far ffmpeg reads ahead
 * instead of seeking follows the TCP receive window the kernel grows (here a 7.5 MB gap still cost 3 GETs,
 * 10 MB cost 452); AWS's default window limit is 6 MB, hence a margin below it. An interleaved file's
 * streams lie a chunk apart (well under a megabyte at ordinary bitrates), so a copy is rare and costs little.
 */
export const FAR_APART_BYTES = 4 * 1024 * 1024;

/** Bytes between the first packets of the video and the audio track the output keeps; undefined if unknown. */
export function streamGapBytes(source: ProbedVideo): number | undefined {
  const positions = source.firstPacketPositions;
  const audio = planAudio(source.audio)?.kept.index;
  if (positions === undefined || audio === undefined || source.video.index === undefined) return undefined;
  const video = positions.get(source.video.index);
  const sound = positions.get(audio);
  return video === undefined || sound === undefined ? undefined : Math.abs(video - sound);
}

export interface SourceRead {
  /** What ffmpeg reads: the URL as it was, or the local copy. */
  location: string;
  /** How long the copy took (0 when there is none). */
  copyMs: number;
}

/**
 * The location ffmpeg should read `source` from. A remote source whose streams are far apart is copied to
 * `workDir` first (pinned to the claimed ETag, like every read of the source); when the copy would not fit
 * on the disk, the URL is read as it is (slower and many more requests, but the job still ends).
 */
export async function chooseSourceRead(
  source: ProbedVideo,
  options: {
    location: string;
    s3: S3Client;
    object: { bucket: string; key: string; etag: string };
    workDir: string;
    signal: AbortSignal;
    logger: Logger;
    freeDiskBytes?: ((directory: string) => Promise<number>) | undefined;
  },
): Promise<SourceRead> {
  const gapBytes = streamGapBytes(source);
  if (!isRemote(options.location) || gapBytes === undefined || gapBytes <= FAR_APART_BYTES) return { location: options.location, copyMs: 0 };
  const free = await (options.freeDiskBytes ?? freeBytesAt)(options.workDir);
  // The output still needs its room after the copy: ensureOutputFits checks that against what is left.
  if (source.sizeBytes === undefined || source.sizeBytes >= free) {
    options.logger.warn('source streams are stored far apart, but a copy would not fit: reading it through its URL', {
      gapBytes,
      sizeBytes: source.sizeBytes,
      freeBytes: free,
    });
    return { location: options.location, copyMs: 0 };
  }
  const startedAt = performance.now();
  const file = join(options.workDir, `source${extname(options.object.key)}`);
  await downloadObject(options.s3, { ...options.object, file, signal: options.signal }, () => new InputInvalidError(SOURCE_GONE_MESSAGE));
  const copyMs = Math.round(performance.now() - startedAt);
  options.logger.info('source streams are stored far apart: read from a copy on disk', { gapBytes, sizeBytes: source.sizeBytes, copyMs });
  return { location: file, copyMs };
}
