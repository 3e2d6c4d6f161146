import { abortUpload } from '../core/multipart-upload.ts';
import { VideoIdPathSchema } from './contract.ts';
import { apiHandler } from './http.ts';
import { config, multipartDeps } from './multipart.ts';

/** DELETE /videos/{id}/upload */
export const handler = apiHandler(
  { path: VideoIdPathSchema, allowedOrigins: config.ALLOWED_ORIGINS },
  async ({ path }) => {
    await abortUpload(path.id, multipartDeps);
    return { statusCode: 204 };
  },
);
