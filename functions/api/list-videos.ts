import { dynamodb } from '../core/clients.ts';
import { loadConfig, loadCursorSecretConfig } from '../core/config.ts';
import { cursorSecretReader } from '../core/cursor-secret.ts';
import { listVideos } from '../core/list-videos.ts';
import { createVideoRepository } from '../core/video-repository.ts';
import { ListVideosQuerySchema } from './contract.ts';
import { apiHandler } from './http.ts';

const config = loadConfig();
const readCursorSecret = cursorSecretReader(loadCursorSecretConfig());
const repository = createVideoRepository(dynamodb, config.VIDEOS_TABLE);

/** GET /videos?status=|source_video_id=|filename=&limit=&cursor= */
export const handler = apiHandler(
  { query: ListVideosQuerySchema, allowedOrigins: config.ALLOWED_ORIGINS },
  async ({ query }) => {
    const by = query.status !== undefined ? 'status' : query.source_video_id !== undefined ? 'source_video_id' : 'filename';
    const value = query.status ?? query.source_video_id ?? query.filename ?? '';
    const page = await listVideos(
      { by, value, limit: query.limit, ...(query.cursor === undefined ? {} : { cursor: query.cursor }) },
      { repository, cursorSecret: await readCursorSecret() },
    );
    return { statusCode: 200, body: page };
  },
);
