import { dynamodb, s3, sfn } from '../core/clients.ts';
import { runCleanup } from '../core/cleanup.ts';
import { CleanupConfigSchema, loadConfig, parseConfig } from '../core/config.ts';
import { log } from '../core/log.ts';
import { createMetrics, METRIC_SERVICES, videoMetrics } from '../core/metrics.ts';
import { createVideoRepository } from '../core/video-repository.ts';

const config = loadConfig();
const cleanupConfig = parseConfig(CleanupConfigSchema, process.env);
const repository = createVideoRepository(dynamodb, config.VIDEOS_TABLE);
const metrics = videoMetrics(createMetrics(METRIC_SERVICES.cleanup));

/** The scheduled cleanup (an EventBridge schedule; locally the local cloud's scheduler or `npm run cleanup`). */
export async function handler(_event: unknown) {
  const report = await runCleanup({ s3, sfn, repository, bucket: config.MEDIA_BUCKET, config: cleanupConfig, logger: log, metrics });
  log.info('cleanup finished', { ...report });
  return report;
}
