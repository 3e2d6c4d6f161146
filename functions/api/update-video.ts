import { dynamodb } from '../core/clients.ts';
import { loadConfig } from '../core/config.ts';
import { updateVideo } from '../core/update-video.ts';
import { createVideoRepository } from '../core/video-repository.ts';
import { UpdateVideoRequestSchema, VideoIdPathSchema } from './contract.ts';
import { apiHandler } from './http.ts';

const config = loadConfig();
const repository = createVideoRepository(dynamodb, config.VIDEOS_TABLE);

/** PATCH /videos/{id} */
export const handler = apiHandler(
  { path: VideoIdPathSchema, body: UpdateVideoRequestSchema, allowedOrigins: config.ALLOWED_ORIGINS },
  async ({ path, body }) => ({ statusCode: 200, body: await updateVideo(path.id, body, { repository }) }),
);
