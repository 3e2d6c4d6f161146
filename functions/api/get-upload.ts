import { describeUpload } from '../core/multipart-upload.ts';
import { VideoIdPathSchema } from './contract.ts';
import { apiHandler } from './http.ts';
import { config, multipartDeps } from './multipart.ts';

/** GET /videos/{id}/upload: the parts S3 already has, so a client can resume. */
export const handler = apiHandler(
  { path: VideoIdPathSchema, allowedOrigins: config.ALLOWED_ORIGINS },
  async ({ path }) => ({ statusCode: 200, body: await describeUpload(path.id, multipartDeps) }),
);
