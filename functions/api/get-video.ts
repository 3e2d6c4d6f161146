import { s3, dynamodb } from '../core/clients.ts';
import { loadConfig } from '../core/config.ts';
import { getVideo } from '../core/get-video.ts';
import { createVideoRepository } from '../core/video-repository.ts';
import { apiHandler } from './http.ts';
import { VideoIdPathSchema } from './contract.ts';

const config = loadConfig();
const repository = createVideoRepository(dynamodb, config.VIDEOS_TABLE);

/** GET /videos/{id} */
export const handler = apiHandler(
  { path: VideoIdPathSchema, allowedOrigins: config.ALLOWED_ORIGINS },
  async ({ path }) => ({
    statusCode: 200,
    body: await getVideo(path.id, { repository, s3, playbackTtlSeconds: config.PLAYBACK_URL_TTL_SECONDS }),
  }),
);
