import { dynamodb, s3 } from '../core/clients.ts';
import { loadConfig } from '../core/config.ts';
import { retryVideo } from '../core/retry-video.ts';
import { createVideoRepository } from '../core/video-repository.ts';
import { VideoIdPathSchema } from './contract.ts';
import { apiHandler } from './http.ts';

const config = loadConfig();
const repository = createVideoRepository(dynamodb, config.VIDEOS_TABLE);

/** POST /videos/{id}/retry */
export const handler = apiHandler({ path: VideoIdPathSchema, allowedOrigins: config.ALLOWED_ORIGINS }, async ({ path }) => ({
  statusCode: 202,
  body: await retryVideo(path.id, { repository, s3, bucket: config.MEDIA_BUCKET }),
}));
