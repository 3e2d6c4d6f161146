import { z } from 'zod';
import { dynamodb, s3 } from '../core/clients.ts';
import { loadConfig } from '../core/config.ts';
import { log } from '../core/log.ts';
import { prepareSubtitles } from '../core/prepare-subtitles.ts';
import { createVideoRepository } from '../core/video-repository.ts';

const config = loadConfig();
const repository = createVideoRepository(dynamodb, config.VIDEOS_TABLE);
const EventSchema = z.object({ videoId: z.string().min(1) });

/** Step Functions task PrepareSubtitles. Errors propagate: their name is what the state machine retries or catches. */
export async function handler(event: unknown) {
  const { videoId } = EventSchema.parse(event);
  const prepared = await prepareSubtitles(videoId, {
    repository,
    s3,
    bucket: config.MEDIA_BUCKET,
    maxBytes: config.MAX_SUBTITLES_BYTES,
  });
  log.info('subtitles prepared', { videoId, ...prepared });
  return prepared;
}
