import { presignUploadParts } from '../core/multipart-upload.ts';
import { UploadPartsRequestSchema, VideoIdPathSchema } from './contract.ts';
import { apiHandler } from './http.ts';
import { config, multipartDeps } from './multipart.ts';

/** POST /videos/{id}/upload/parts */
export const handler = apiHandler(
  { path: VideoIdPathSchema, body: UploadPartsRequestSchema, allowedOrigins: config.ALLOWED_ORIGINS },
  async ({ path, body }) => ({ statusCode: 200, body: await presignUploadParts(path.id, body.part_numbers, multipartDeps) }),
);
