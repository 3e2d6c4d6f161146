import type { S3Client } from '@aws-sdk/client-s3';
import { NotReadyError } from './errors.ts';
import { presignPlayback, parseS3Uri } from './storage.ts';
import type { VideoRepository } from './video-repository.ts';
import { toPublicVideo, type VideoRecord } from './video.ts';

export interface GetVideoDeps {
  repository: VideoRepository;
  s3: S3Client;
  playbackTtlSeconds: number;
  now?: () => Date;
}

/** The record as clients see it; once saved, with short-lived URLs of the MP4 and of its sidecar subtitles. */
export async function getVideo(id: string, deps: GetVideoDeps) {
  const record = await deps.repository.get(id);
  if (record.status !== 'saved') return toPublicVideo(record);
  const { url } = await playbackOf(record, deps.playbackTtlSeconds, deps);
  const subtitleUrls = await sidecarUrlsOf(record, deps.playbackTtlSeconds, deps);
  return toPublicVideo(record, { playback_url: url, ...(subtitleUrls === undefined ? {} : { subtitle_urls: subtitleUrls }) });
}

const SIDECAR_TYPES = { srt: 'application/x-subrip', vtt: 'text/vtt' } as const;

async function sidecarUrlsOf(record: VideoRecord, ttlSeconds: number, deps: GetVideoDeps) {
  if (record.subtitle_files === undefined) return undefined;
  const basename = record.filename.replace(/\.[^.]+$/, '');
  const presign = (format: keyof typeof SIDECAR_TYPES) => {
    const { bucket, key } = parseS3Uri(record.subtitle_files![format]);
    return presignPlayback(deps.s3, { bucket, key, expiresInSeconds: ttlSeconds, filename: `${basename}.${format}`, contentType: SIDECAR_TYPES[format] });
  };
  return { srt: await presign('srt'), vtt: await presign('vtt') };
}

/** GET /videos/{id}/playback: 409 not_ready until the video is saved. */
export async function getPlayback(id: string, ttlSeconds: number, deps: GetVideoDeps) {
  const record = await deps.repository.get(id);
  if (record.status !== 'saved') {
    throw new NotReadyError(`The video is ${record.status}: it can be played once it is saved`, {
      details: { status: record.status },
    });
  }
  return playbackOf(record, ttlSeconds, deps);
}

async function playbackOf(record: VideoRecord, ttlSeconds: number, deps: GetVideoDeps) {
  if (record.s3_uri === undefined) throw new Error(`Saved video ${record.id} has no s3_uri`);
  const { bucket, key } = parseS3Uri(record.s3_uri);
  const now = (deps.now ?? (() => new Date()))();
  const url = await presignPlayback(deps.s3, {
    bucket,
    key,
    expiresInSeconds: ttlSeconds,
    filename: `${record.filename.replace(/\.[^.]+$/, '')}.mp4`,
  });
  return { url, expires_at: new Date(now.getTime() + ttlSeconds * 1000).toISOString() };
}
