import { randomUUID } from 'node:crypto';
import { CreateMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import { v5 as uuidV5 } from 'uuid';
import { z } from 'zod';
import type { Config } from './config.ts';
import { ConflictError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.ts';
import { keys } from './keys.ts';
import { sourceExtensionOf } from './source-media.ts';
import { presignUpload, type PresignedPostUpload } from './storage.ts';
import type { VideoMetrics } from './metrics.ts';
import type { VideoRepository } from './video-repository.ts';
import {
  ContentTypeSchema,
  CrfSchema,
  DEFAULT_CRF,
  DEFAULT_MISSING_GLYPHS,
  DEFAULT_RESOLUTION,
  FilenameSchema,
  MissingGlyphsSchema,
  MULTIPART_MAX_PARTS,
  MULTIPART_MIN_PART_BYTES,
  ResolutionSchema,
  SOURCE_EXTENSIONS,
  SubtitleLanguageSchema,
  UNDETERMINED_LANGUAGE,
  X264PresetSchema,
  toPublicVideo,
  type UploadSpec,
  type VideoRecord,
} from './video.ts';

/** The subtitles a client uploads itself, next to the video. */
export const SUBTITLES_CONTENT_TYPE = 'application/x-subrip';

const SubtitlesUrlSchema = z
  .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
  .max(2048)
  .refine((url) => !/^[a-z]+:\/\/[^/]*@/i.test(url), 'must not carry credentials');

export const CreateUploadRequestSchema = z
  .object({
    filename: FilenameSchema,
    content_type: ContentTypeSchema,
    size: z.number().int().positive(),
    resolution: ResolutionSchema.default(DEFAULT_RESOLUTION),
    crf: CrfSchema.default(DEFAULT_CRF),
    preset: X264PresetSchema.optional(),
    /** Subtitle characters no font has: burn anyway with a warning (default) or fail the job as `missing_glyphs`. */
    missing_glyphs: MissingGlyphsSchema.default(DEFAULT_MISSING_GLYPHS),
    subtitle_language: SubtitleLanguageSchema.optional(),
    subtitles: z.discriminatedUnion('source', [
      z.object({ source: z.literal('upload') }).strict(),
      z.object({ source: z.literal('url'), url: SubtitlesUrlSchema }).strict(),
    ]),
    source_video_id: z.string().trim().min(1).max(256).optional(),
    /** Makes the request idempotent: repeating it with the same token returns the same video. */
    client_token: z.string().trim().min(8).max(128).optional(),
  })
  .strict();
export type CreateUploadRequest = z.infer<typeof CreateUploadRequestSchema>;

export interface MultipartUploadInfo {
  method: 'MULTIPART';
  upload_id: string;
  part_size: number;
  part_count: number;
  expires_at: string;
}

export interface CreateUploadDeps {
  repository: VideoRepository;
  s3: S3Client;
  config: Pick<
    Config,
    | 'MEDIA_BUCKET'
    | 'MAX_UPLOAD_BYTES'
    | 'MAX_SUBTITLES_BYTES'
    | 'UPLOAD_URL_TTL_SECONDS'
    | 'FFMPEG_PRESET'
    | 'MULTIPART_THRESHOLD_BYTES'
  >;
  /** Counts a new video (not a replayed client_token) and the size it declared. */
  metrics?: Pick<VideoMetrics, 'created'>;
  now?: () => Date;
  newId?: () => string;
}

/** Incomplete multipart uploads are aborted by the bucket's lifecycle rule after a day. */
const MULTIPART_LIFETIME_MS = 24 * 3600 * 1000;
/** Video ids of idempotent requests are UUIDv5 of the client token in this namespace. */
const CLIENT_TOKEN_NAMESPACE = '8f0f7c2e-4a61-4a53-9d2e-6c1c3b7a5e10';

/**
 * Registers a video and hands out what the client uploads with, straight to S3: one presigned POST for
 * files up to MULTIPART_THRESHOLD_BYTES, a multipart upload (resumable, parts presigned on request) above.
 * The record waits in `awaiting_upload`; the source landing in S3 is what starts the workflow.
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

  const now = (deps.now ?? (() => new Date()))();
  // A client token always maps to the same id: two racing retries collide on the conditional create.
  const id = request.client_token === undefined ? (deps.newId ?? randomUUID)() : uuidV5(request.client_token, CLIENT_TOKEN_NAMESPACE);
  if (request.client_token !== undefined) {
    const existing = await deps.repository.find(id);
    if (existing !== undefined) return replay(existing, request, deps, now);
  }

  const sourceKey = keys.source(id, extension);
  const multipart = request.size > deps.config.MULTIPART_THRESHOLD_BYTES;
  const upload: UploadSpec = multipart
    ? await startMultipartUpload(deps, sourceKey, request.content_type, request.size)
    : { method: 'POST' };
  const record: VideoRecord = {
    id,
    filename: request.filename,
    content_type: request.content_type,
    upload_size: request.size,
    ...(request.source_video_id === undefined ? {} : { source_video_id: request.source_video_id }),
    ...(request.client_token === undefined ? {} : { client_token: request.client_token }),
    status: 'awaiting_upload',
    target_resolution: request.resolution,
    crf: request.crf,
    preset: request.preset ?? deps.config.FFMPEG_PRESET,
    missing_glyphs: request.missing_glyphs,
    subtitle_language: request.subtitle_language ?? UNDETERMINED_LANGUAGE,
    subtitles:
      request.subtitles.source === 'url'
        ? { source: 'url', url: request.subtitles.url }
        : { source: 'upload', key: keys.uploadedSubtitles(id) },
    source_key: sourceKey,
    upload,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
  };
  try {
    await deps.repository.create(record);
  } catch (error) {
    const winner = error instanceof ConflictError && request.client_token !== undefined ? await deps.repository.find(id) : undefined;
    if (winner !== undefined) return replay(winner, request, deps, now);
    throw error;
  }
  deps.metrics?.created(request.size);
  return respond(record, deps, now);
}

/**
 * A repeated request with the same client token: the same video and the same upload, as long as the
 * request is the same one and nothing has been uploaded yet.
 */
async function replay(existing: VideoRecord, request: CreateUploadRequest, deps: CreateUploadDeps, now: Date) {
  const differs = (
    [
      ['filename', existing.filename, request.filename],
      ['content_type', existing.content_type, request.content_type],
      ['size', existing.upload_size, request.size],
      ['resolution', existing.target_resolution, request.resolution],
      ['crf', existing.crf, request.crf],
      ['preset', existing.preset, request.preset ?? existing.preset],
      ['missing_glyphs', existing.missing_glyphs ?? DEFAULT_MISSING_GLYPHS, request.missing_glyphs],
      ['subtitle_language', existing.subtitle_language ?? UNDETERMINED_LANGUAGE, request.subtitle_language ?? UNDETERMINED_LANGUAGE],
      ['subtitles', existing.subtitles.source, request.subtitles.source],
      ['source_video_id', existing.source_video_id, request.source_video_id],
    ] as const
  )
    .filter(([, stored, requested]) => stored !== requested)
    .map(([field]) => field);
  if (differs.length > 0) {
    throw new ConflictError(`client_token was already used for a different request (${differs.join(', ')} differ)`, {
      details: { video_id: existing.id, fields: differs },
    });
  }
  if (existing.status !== 'awaiting_upload') {
    throw new ConflictError(`The video of this client_token has been uploaded already (status ${existing.status})`, {
      details: { video_id: existing.id, status: existing.status },
    });
  }
  return respond(existing, deps, now);
}

async function respond(record: VideoRecord, deps: CreateUploadDeps, now: Date) {
  const upload: PresignedPostUpload | MultipartUploadInfo =
    record.upload?.method === 'MULTIPART'
      ? { ...record.upload, expires_at: new Date(Date.parse(record.created_at) + MULTIPART_LIFETIME_MS).toISOString() }
      : await presignUpload(deps.s3, {
          bucket: deps.config.MEDIA_BUCKET,
          key: record.source_key,
          contentType: record.content_type,
          maxBytes: record.upload_size,
          expiresInSeconds: deps.config.UPLOAD_URL_TTL_SECONDS,
          now,
        });
  const subtitlesUpload =
    record.subtitles.source === 'upload'
      ? await presignUpload(deps.s3, {
          bucket: deps.config.MEDIA_BUCKET,
          key: record.subtitles.key,
          contentType: SUBTITLES_CONTENT_TYPE,
          maxBytes: deps.config.MAX_SUBTITLES_BYTES,
          expiresInSeconds: deps.config.UPLOAD_URL_TTL_SECONDS,
          now,
        })
      : undefined;
  return {
    video: toPublicVideo(record),
    upload,
    ...(subtitlesUpload === undefined ? {} : { subtitles_upload: subtitlesUpload }),
  };
}

/** Parts of at least 16 MiB (S3's minimum is 5), more for files that would otherwise need over 10,000. */
export function choosePartSize(size: number): number {
  const MiB = 1024 * 1024;
  const smallestThatFits = Math.ceil(size / MULTIPART_MAX_PARTS / MiB) * MiB;
  return Math.max(16 * MiB, MULTIPART_MIN_PART_BYTES, smallestThatFits);
}

async function startMultipartUpload(
  deps: CreateUploadDeps,
  key: string,
  contentType: string,
  size: number,
): Promise<UploadSpec> {
  const { UploadId } = await deps.s3.send(
    new CreateMultipartUploadCommand({ Bucket: deps.config.MEDIA_BUCKET, Key: key, ContentType: contentType }),
  );
  if (UploadId === undefined) throw new Error('S3 returned no UploadId');
  const partSize = choosePartSize(size);
  return { method: 'MULTIPART', upload_id: UploadId, part_size: partSize, part_count: Math.ceil(size / partSize) };
}

function sourceExtension(filename: string): string {
  const extension = sourceExtensionOf(filename);
  if (extension === undefined) {
    throw new UnsupportedMediaTypeError(
      `filename must end in one of ${SOURCE_EXTENSIONS.map((e) => `.${e}`).join(' ')}, got "${filename}"`,
    );
  }
  return extension;
}
