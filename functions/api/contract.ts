import { z } from 'zod';
import { CreateUploadRequestSchema } from '../core/create-upload.ts';
import { FilenameSchema, MULTIPART_MAX_PARTS, VideoRecordSchema, VideoStatusSchema } from '../core/video.ts';

/**
 * The REST API's contract as zod schemas: the handlers validate with them and the OpenAPI document is
 * generated from them, so the two cannot drift apart.
 */
export { CreateUploadRequestSchema };

export const VideoIdPathSchema = z.object({ id: z.uuid({ message: 'must be a video id (a UUID)' }) });

export const VideoSchema = VideoRecordSchema.omit({
  source_key: true,
  content_type: true,
  upload_size: true,
  upload: true,
  client_token: true,
  // A segmented encode's bookkeeping: `progress` says what segment_progress adds up to.
  transcode_task_arns: true,
  segment_progress: true,
  source_duration: true,
}).extend({
  playback_url: z.string().optional(),
  /** Once saved: short-lived URLs of the sidecar subtitles (subtitle_files), for a download link or a <track>. */
  subtitle_urls: z.object({ srt: z.string(), vtt: z.string() }).optional(),
});

export const ErrorResponseSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  request_id: z.string(),
});

export const PresignedPostSchema = z.object({
  method: z.literal('POST'),
  url: z.string(),
  fields: z.record(z.string(), z.string()),
  expires_at: z.string(),
});

export const MultipartUploadSchema = z.object({
  method: z.literal('MULTIPART'),
  upload_id: z.string(),
  part_size: z.number().int(),
  part_count: z.number().int(),
  expires_at: z.string(),
});

export const CreateVideoResponseSchema = z.object({
  video: VideoSchema,
  upload: z.discriminatedUnion('method', [PresignedPostSchema, MultipartUploadSchema]),
  subtitles_upload: PresignedPostSchema.optional(),
});

const LIST_FILTERS = ['status', 'source_video_id', 'filename'] as const;

export const ListVideosQuerySchema = z
  .object({
    status: VideoStatusSchema.optional(),
    source_video_id: z.string().min(1).max(256).optional(),
    filename: z.string().min(1).max(255).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z.string().min(1).max(4096).optional(),
  })
  .strict()
  .superRefine((query, context) => {
    const given = LIST_FILTERS.filter((name) => query[name] !== undefined);
    if (given.length !== 1) {
      context.addIssue({
        code: 'custom',
        path: [],
        message:
          given.length === 0
            ? 'give one of status, source_video_id or filename to list by'
            : `list by one of status, source_video_id or filename, not ${given.join(' and ')}`,
      });
    }
  });
export type ListVideosQuery = z.infer<typeof ListVideosQuerySchema>;

export const ListVideosResponseSchema = z.object({
  videos: z.array(VideoSchema),
  next_cursor: z.string().optional(),
});

export const PLAYBACK_MAX_TTL_SECONDS = 12 * 3600;

export const PlaybackQuerySchema = z
  .object({
    expires_in: z.coerce.number().int().min(60).max(PLAYBACK_MAX_TTL_SECONDS).optional(),
    redirect: z.enum(['0', '1', 'true', 'false']).optional(),
  })
  .strict();

export const PlaybackResponseSchema = z.object({ url: z.string(), expires_at: z.string() });

const CLIENT_OWNED_FIELDS = ['filename', 'source_video_id', 'title', 'tags'] as const;
const PIPELINE_OWNED_FIELDS = new Set(Object.keys(VideoRecordSchema.shape).filter((field) => !(CLIENT_OWNED_FIELDS as readonly string[]).includes(field)));

/** Fields the client owns and may change after creation; everything else belongs to the pipeline. */
export const UpdateVideoRequestSchema = z
  .strictObject(
    {
      filename: FilenameSchema.optional(),
      source_video_id: z.string().trim().min(1).max(256).optional(),
      title: z.string().trim().max(500).optional(),
      tags: z.array(z.string().trim().min(1).max(64)).max(50).optional(),
    },
    {
      error: (issue) => {
        if (issue.code !== 'unrecognized_keys') return undefined;
        const owned = issue.keys.filter((key) => PIPELINE_OWNED_FIELDS.has(key));
        const unknown = issue.keys.filter((key) => !PIPELINE_OWNED_FIELDS.has(key));
        return [
          owned.length > 0 ? `${owned.join(', ')} ${owned.length > 1 ? 'are' : 'is'} set by the pipeline and cannot be changed` : '',
          unknown.length > 0 ? `${unknown.join(', ')} ${unknown.length > 1 ? 'are not fields' : 'is not a field'} of a video` : '',
        ]
          .filter(Boolean)
          .join('; ')
          .concat(` (a client may change ${CLIENT_OWNED_FIELDS.join(', ')})`);
      },
    },
  )
  .refine((body) => Object.keys(body).length > 0, {
    message: `nothing to change: give at least one of ${CLIENT_OWNED_FIELDS.join(', ')}`,
  });
export type UpdateVideoRequest = z.infer<typeof UpdateVideoRequestSchema>;

const PartNumberSchema = z.number().int().min(1).max(MULTIPART_MAX_PARTS);

export const UploadPartsRequestSchema = z
  .object({ part_numbers: z.array(PartNumberSchema).min(1).max(100) })
  .strict();

export const UploadPartsResponseSchema = z.object({
  parts: z.array(z.object({ part_number: z.number().int(), url: z.string() })),
  expires_at: z.string(),
});

export const CompleteUploadRequestSchema = z
  .object({
    parts: z
      .array(z.object({ part_number: PartNumberSchema, etag: z.string().min(1).max(128) }).strict())
      .min(1)
      .max(MULTIPART_MAX_PARTS),
  })
  .strict();

export const UploadStateResponseSchema = z.object({
  upload_id: z.string(),
  part_size: z.number().int(),
  part_count: z.number().int(),
  parts: z.array(z.object({ part_number: z.number().int(), etag: z.string(), size: z.number().int() })),
});

export const HealthResponseSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  version: z.string(),
  s3: z.enum(['ok', 'unreachable']),
  dynamodb: z.enum(['ok', 'unreachable']),
});
