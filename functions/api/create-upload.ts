import { s3, dynamodb } from '../core/clients.ts';
import { loadConfig } from '../core/config.ts';
import { CreateUploadRequestSchema, createUpload } from '../core/create-upload.ts';
import { log } from '../core/log.ts';
import { createMetrics, METRIC_SERVICES, videoMetrics } from '../core/metrics.ts';
import { createVideoRepository } from '../core/video-repository.ts';
import { apiHandler } from './http.ts';

const config = loadConfig();
const repository = createVideoRepository(dynamodb, config.VIDEOS_TABLE);
const metrics = videoMetrics(createMetrics(METRIC_SERVICES.createUpload));

/** POST /videos */
export const handler = apiHandler(
  { body: CreateUploadRequestSchema, allowedOrigins: config.ALLOWED_ORIGINS },
  async ({ body }) => {
    const created = await createUpload(body, { repository, s3, config, metrics });
    log.appendKeys({ videoId: created.video.id });
    log.info('upload created', { method: created.upload.method, size: body.size });
    return { statusCode: 201, body: created, headers: { Location: `/api/videos/${created.video.id}` } };
  },
);
