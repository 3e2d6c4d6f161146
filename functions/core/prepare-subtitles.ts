import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SubtitlesInvalidError, SubtitlesNotReadyError } from './errors.ts';
import { keys } from './keys.ts';
import { formatSrt, parseSubtitles } from './subtitles.ts';
import type { VideoRepository } from './video-repository.ts';
import type { SubtitlesSpec } from './video.ts';

export interface PrepareSubtitlesDeps {
  repository: Pick<VideoRepository, 'get' | 'addWarnings'>;
  s3: S3Client;
  bucket: string;
  maxBytes: number;
  /** Fetches subtitles given as a URL (the guarded fetch of subtitle-fetch.ts in production). */
  fetchFromUrl: (url: string) => Promise<Uint8Array>;
}

export interface PreparedSubtitles {
  key: string;
  cue_count: number;
  format: 'srt' | 'vtt';
  encoding: string;
  warnings: string[];
}

/**
 * Workflow step: read the video's subtitles — uploaded next to it, or fetched from the URL it names —
 * validate them, and write the normalised SRT the worker burns in to temp/{id}/subtitles.srt.
 * Throws SubtitlesNotReadyError while an upload has not arrived and SubtitlesUnavailableError while the
 * subtitle service fails (the workflow retries both), and errors no retry can fix otherwise
 * (SubtitlesInvalidError, SubtitlesFetchFailedError, SubtitlesUrlRefusedError).
 */
export async function prepareSubtitles(videoId: string, deps: PrepareSubtitlesDeps): Promise<PreparedSubtitles> {
  const record = await deps.repository.get(videoId);
  const raw = await readSubtitles(deps, record.subtitles);
  if (raw.length === 0) throw new SubtitlesInvalidError('The subtitles file is empty');
  const parsed = parseSubtitles(raw);
  const key = keys.preparedSubtitles(videoId);
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.bucket,
      Key: key,
      Body: formatSrt(parsed.cues),
      ContentType: 'application/x-subrip; charset=utf-8',
    }),
  );
  // Advisory, like progress: the video is processed whether or not the note lands.
  await deps.repository.addWarnings(videoId, parsed.warnings);
  return { key, cue_count: parsed.cues.length, format: parsed.format, encoding: parsed.encoding, warnings: parsed.warnings };
}

async function readSubtitles(deps: PrepareSubtitlesDeps, spec: SubtitlesSpec): Promise<Uint8Array> {
  if (spec.source === 'url') return deps.fetchFromUrl(spec.url);
  try {
    const object = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: spec.key }));
    if ((object.ContentLength ?? 0) > deps.maxBytes) {
      throw new SubtitlesInvalidError(`The subtitles file is larger than ${deps.maxBytes} bytes`);
    }
    return await object.Body!.transformToByteArray();
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') {
      throw new SubtitlesNotReadyError(
        'The subtitles have not been uploaded: upload them to subtitles_upload (before the video is best)',
        { cause: error },
      );
    }
    throw error;
  }
}
