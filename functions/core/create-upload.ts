import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { Config } from './config.ts';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.ts';
import { keys } from './keys.ts';
import { presignUpload } from './storage.ts';
import type { VideoRepository } from './video-repository.ts';
import {
  CrfSchema,
  DEFAULT_CRF,
  DEFAULT_RESOLUTION,
  ResolutionSchema,
  SOURCE_EXTENSIONS,
  X264PresetSchema,
  toPublicVideo,
  type VideoRecord,
} from './video.ts';

/** The subtitles a client uploads itself, next to the video. */
export const SUBTITLES_CONTENT_TYPE = 'application/x-subrip';

export const CreateUploadRequestSchema = z
  .object({
    filename: z.string().trim().min(1).max(255),
    content_type: z.string().trim().min(1).max(255),
    size: z.number().int().positive(),
    resolution: ResolutionSchema.default(DEFAULT_RESOLUTION),
    crf: CrfSchema.default(DEFAULT_CRF),
    preset: X264PresetSchema.optional(),
    subtitles: z.discriminatedUnion('source', [z.object({ source: z.literal('upload') }).strict()]),
    source_video_id: z.string().trim().min(1).max(256).optional(),
  })
  .strict();
export type CreateUploadRequest = z.infer<typeof CreateUploadRequestSchema>;

export interface CreateUploadDeps {
  repository: VideoRepository;
  s3: S3Client;
  config: Pick<Config, 'MEDIA_BUCKET' | 'MAX_UPLOAD_BYTES' | 'MAX_SUBTITLES_BYTES' | 'UPLOAD_URL_TTL_SECONDS' | 'FFMPEG_PRESET'>;
  now?: () => Date;
  newId?: () => string;
}

/**
 * Registers a video and hands out the URLs the client uploads to, straight to S3. The record waits in
 * `awaiting_upload`; the upload of the source object is what starts the workflow.
 */
export async function createUpload(request: CreateUploadRequest, deps: CreateUploadDeps) {
  const extension = sourceExtension(request.filename);
  if (!request.content_type.startsWith('video/') && request.content_type !== 'application/octet-stream') {
    throw new UnsupportedMediaTypeError(`content_type must be a video type (video/*), got "${request.content_type}"`);
  }
  if (request.size > deps.config.MAX_UPLOAD_BYTES) {
    throw new PayloadTooLargeError(
      `The video is ${request.size} bytes; the limit is ${deps.config.MAX_UPLOAD_BYTES} bytes`,
      { details: { size: request.size, max_size: deps.config.MAX_UPLOAD_BYTES } },
    );
  }

  const now = (deps.now ?? (() => new Date()))().toISOString();
  const id = (deps.newId ?? randomUUID)();
  const record: VideoRecord = {
    id,
    filename: request.filename,
    content_type: request.content_type,
    upload_size: request.size,
    ...(request.source_video_id === undefined ? {} : { source_video_id: request.source_video_id }),
    status: 'awaiting_upload',
    target_resolution: request.resolution,
    crf: request.crf,
    preset: request.preset ?? deps.config.FFMPEG_PRESET,
    subtitles: { source: 'upload', key: keys.uploadedSubtitles(id) },
    source_key: keys.source(id, extension),
    created_at: now,
    updated_at: now,
  };
  await deps.repository.create(record);

  const ttl = deps.config.UPLOAD_URL_TTL_SECONDS;
  const [upload, subtitlesUpload] = await Promise.all([
    presignUpload(deps.s3, {
      bucket: deps.config.MEDIA_BUCKET,
      key: record.source_key,
      contentType: request.content_type,
      maxBytes: request.size,
      expiresInSeconds: ttl,
    }),
    presignUpload(deps.s3, {
      bucket: deps.config.MEDIA_BUCKET,
      key: record.subtitles.key,
      contentType: SUBTITLES_CONTENT_TYPE,
      maxBytes: deps.config.MAX_SUBTITLES_BYTES,
      expiresInSeconds: ttl,
    }),
  ]);
  return { video: toPublicVideo(record), upload, subtitles_upload: subtitlesUpload };
}

function sourceExtension(filename: string): string {
  const extension = /\.([A-Za-z0-9]+)$/.exec(filename)?.[1]?.toLowerCase();
  if (extension === undefined || !(SOURCE_EXTENSIONS as readonly string[]).includes(extension)) {
    throw new UnsupportedMediaTypeError(
      `filename must end in one of ${SOURCE_EXTENSIONS.map((e) => `.${e}`).join(' ')}, got "${filename}"`,
    );
  }
  return extension;
}
