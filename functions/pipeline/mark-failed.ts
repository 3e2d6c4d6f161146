import { z } from 'zod';
import { dynamodb } from '../core/clients.ts';
import { loadConfig } from '../core/config.ts';
import { describeFailure } from '../core/describe-failure.ts';
import { log } from '../core/log.ts';
import { createVideoRepository } from '../core/video-repository.ts';

const config = loadConfig();
const repository = createVideoRepository(dynamodb, config.VIDEOS_TABLE);
const EventSchema = z.object({
  videoId: z.string().min(1),
  error: z.object({ Error: z.string(), Cause: z.string().optional() }),
});

/** Step Functions task MarkFailed: the catch-all of the workflow. */
export async function handler(event: unknown) {
  const { videoId, error } = EventSchema.parse(event);
  const failure = describeFailure(error);
  const updated = await repository.markFailed(videoId, failure);
  // The raw error goes to the log only: it may hold internals the record must not show.
  log.warn('video failed', { videoId, failure, caught: error, recordUpdated: updated });
  return failure;
}
