import { dynamodbTables, s3 } from '../core/clients.ts';
import { loadConfig } from '../core/config.ts';
import { checkHealth } from '../core/health.ts';
import { apiHandler } from './http.ts';

const config = loadConfig();

/** GET /health: 200 when S3 and DynamoDB answer, 503 (same body) when one does not. */
export const handler = apiHandler({ allowedOrigins: config.ALLOWED_ORIGINS }, async () => {
  const health = await checkHealth({
    s3,
    dynamodb: dynamodbTables,
    bucket: config.MEDIA_BUCKET,
    table: config.VIDEOS_TABLE,
    version: config.VIDP_VERSION,
  });
  return { statusCode: health.status === 'ok' ? 200 : 503, body: health, headers: { 'Cache-Control': 'no-store' } };
});
