import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SubtitlesInvalidError, SubtitlesNotReadyError } from './errors.ts';
import { keys } from './keys.ts';
import { formatSrt, parseSubtitles } from './subtitles.ts';
import type { VideoRepository } from './video-repository.ts';

export interface PrepareSubtitlesDeps {
  repository: VideoRepository;
  s3: S3Client;
  bucket: string;
  maxBytes: number;
}

export interface PreparedSubtitles {
  key: string;
  cue_count: number;
  format: 'srt' | 'vtt';
  encoding: string;
  warnings: string[];
}

/**
 * Workflow step: read the video's subtitles, validate them, and write the normalised SRT the worker burns
 * in to temp/{id}/subtitles.srt. Throws SubtitlesNotReadyError while the upload has not arrived (the
 * workflow retries it) and SubtitlesInvalidError for a file no retry can fix.
 */
export async function prepareSubtitles(videoId: string, deps: PrepareSubtitlesDeps): Promise<PreparedSubtitles> {
  const record = await deps.repository.get(videoId);
  const raw = await readSubtitles(deps, record.subtitles.key);
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
  return { key, cue_count: parsed.cues.length, format: parsed.format, encoding: parsed.encoding, warnings: parsed.warnings };
}

async function readSubtitles(deps: PrepareSubtitlesDeps, key: string): Promise<Uint8Array> {
  try {
    const object = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }));
    if ((object.ContentLength ?? 0) > deps.maxBytes) {
      throw new SubtitlesInvalidError(`The subtitles file is larger than ${deps.maxBytes} bytes`);
    }
    const bytes = await object.Body!.transformToByteArray();
    if (bytes.length === 0) throw new SubtitlesInvalidError('The subtitles file is empty');
    return bytes;
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
