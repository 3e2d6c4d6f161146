import { dynamodb, s3 } from '../core/clients.ts';
import { loadConfig } from '../core/config.ts';
import type { MultipartDeps } from '../core/multipart-upload.ts';
import { createVideoRepository } from '../core/video-repository.ts';

/** What the four multipart upload handlers share: configuration and clients, built once per function. */
export const config = loadConfig();
export const multipartDeps: MultipartDeps = {
  repository: createVideoRepository(dynamodb, config.VIDEOS_TABLE),
  s3,
  bucket: config.MEDIA_BUCKET,
  urlTtlSeconds: config.UPLOAD_URL_TTL_SECONDS,
};
