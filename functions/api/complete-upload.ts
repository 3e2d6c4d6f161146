import { completeUpload } from '../core/multipart-upload.ts';
import { CompleteUploadRequestSchema, VideoIdPathSchema } from './contract.ts';
import { apiHandler } from './http.ts';
import { config, multipartDeps } from './multipart.ts';

/** POST /videos/{id}/upload/complete */
export const handler = apiHandler(
  { path: VideoIdPathSchema, body: CompleteUploadRequestSchema, allowedOrigins: config.ALLOWED_ORIGINS },
  async ({ path, body }) => ({ statusCode: 200, body: await completeUpload(path.id, body.parts, multipartDeps) }),
);
