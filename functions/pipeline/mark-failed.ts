import { z } from 'zod';
import { dynamodb } from '../core/clients.ts';
import { loadConfig } from '../core/config.ts';
import { describeFailure } from '../core/describe-failure.ts';
import { log } from '../core/log.ts';
import { createMetrics, METRIC_SERVICES, videoMetrics } from '../core/metrics.ts';
import { createVideoRepository } from '../core/video-repository.ts';
import { pipelineTask } from './task.ts';

const config = loadConfig();
const repository = createVideoRepository(dynamodb, config.VIDEOS_TABLE);
const metrics = videoMetrics(createMetrics(METRIC_SERVICES.markFailed));
const EventSchema = z.object({
  videoId: z.string().min(1),
  /** The execution failing; a record another execution claimed since is left alone. */
  executionId: z.string().min(1).optional(),
  error: z.object({ Error: z.string(), Cause: z.string().optional() }),
});

/**
 * Step Functions task MarkFailed: the catch-all of the workflow. Returns the `{code, message}` stored, and
 * `recorded`: false when the record had already ended or moved on (nothing changed, no event to publish,
 * and no failure counted: the execution that owns the record counts its own).
 */
export const handler = pipelineTask(EventSchema, async ({ videoId, executionId, error }) => {
  const failure = describeFailure(error);
  const recorded = await repository.markFailed(videoId, failure, new Date(), executionId === undefined ? {} : { executionId });
  // The raw error goes to the log only: it may hold internals the record must not show.
  log.warn('video failed', { failure, caught: error, recorded });
  if (recorded) metrics.failed(failure.code);
  return { ...failure, recorded };
});
