import { z } from 'zod';
import { dynamodb, s3 } from '../core/clients.ts';
import { loadConfig, parseConfig, SubtitleFetchConfigSchema } from '../core/config.ts';
import { log } from '../core/log.ts';
import { prepareSubtitles } from '../core/prepare-subtitles.ts';
import { fetchSubtitles } from '../core/subtitle-fetch.ts';
import { createVideoRepository } from '../core/video-repository.ts';
import { pipelineTask } from './task.ts';

const config = loadConfig();
const fetchConfig = parseConfig(SubtitleFetchConfigSchema, process.env);
const repository = createVideoRepository(dynamodb, config.VIDEOS_TABLE);
const EventSchema = z.object({ videoId: z.string().min(1), executionId: z.string().min(1).optional() });

async function fetchFromUrl(url: string): Promise<Uint8Array> {
  const fetched = await fetchSubtitles(url, {
    allowedHosts: fetchConfig.SUBTITLE_ALLOWED_HOSTS,
    maxBytes: config.MAX_SUBTITLES_BYTES,
    connectTimeoutMs: fetchConfig.SUBTITLE_CONNECT_TIMEOUT_MS,
    totalTimeoutMs: fetchConfig.SUBTITLE_FETCH_TIMEOUT_MS,
  });
  log.info('subtitles fetched', { host: fetched.host, bytes: fetched.bytes.length, redirects: fetched.redirects });
  return fetched.bytes;
}

/** Step Functions task PrepareSubtitles. */
export const handler = pipelineTask(EventSchema, async ({ videoId }) => {
  const prepared = await prepareSubtitles(videoId, {
    repository,
    s3,
    bucket: config.MEDIA_BUCKET,
    maxBytes: config.MAX_SUBTITLES_BYTES,
    fetchFromUrl,
  });
  log.info('subtitles prepared', { ...prepared });
  return prepared;
});
