import { dynamodb, s3 } from '../core/clients.ts';
import { loadConfig } from '../core/config.ts';
import { getPlayback } from '../core/get-video.ts';
import { createVideoRepository } from '../core/video-repository.ts';
import { PlaybackQuerySchema, VideoIdPathSchema } from './contract.ts';
import { apiHandler, type ApiResponse } from './http.ts';

const config = loadConfig();
const repository = createVideoRepository(dynamodb, config.VIDEOS_TABLE);

/** GET /videos/{id}/playback[?expires_in=&redirect=1] */
export const handler = apiHandler(
  { path: VideoIdPathSchema, query: PlaybackQuerySchema, allowedOrigins: config.ALLOWED_ORIGINS },
  async ({ path, query }): Promise<ApiResponse> => {
    const ttl = query.expires_in ?? config.PLAYBACK_URL_TTL_SECONDS;
    const playback = await getPlayback(path.id, ttl, { repository, s3, playbackTtlSeconds: ttl });
    if (query.redirect === '1' || query.redirect === 'true') {
      return { statusCode: 302, headers: { Location: playback.url, 'Cache-Control': 'no-store' } };
    }
    return { statusCode: 200, body: playback, headers: { 'Cache-Control': 'no-store' } };
  },
);
