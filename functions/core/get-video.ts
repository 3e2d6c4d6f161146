import type { S3Client } from '@aws-sdk/client-s3';
import { presignPlayback, parseS3Uri } from './storage.ts';
import type { VideoRepository } from './video-repository.ts';
import { toPublicVideo } from './video.ts';

export interface GetVideoDeps {
  repository: VideoRepository;
  s3: S3Client;
  playbackTtlSeconds: number;
}

/** The record as clients see it; once saved, with a short-lived playback URL. */
export async function getVideo(id: string, deps: GetVideoDeps) {
  const record = await deps.repository.get(id);
  if (record.status !== 'saved' || record.s3_uri === undefined) return toPublicVideo(record);
  const { bucket, key } = parseS3Uri(record.s3_uri);
  const playbackUrl = await presignPlayback(deps.s3, {
    bucket,
    key,
    expiresInSeconds: deps.playbackTtlSeconds,
    filename: record.filename.replace(/\.[^.]+$/, '') + '.mp4',
  });
  return toPublicVideo(record, { playback_url: playbackUrl });
}
