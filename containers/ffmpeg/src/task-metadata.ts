import { describeError, type Logger } from '../../../functions/core/log.ts';
import type { VideoRepository } from '../../../functions/core/video-repository.ts';

/**
 * The task's own ARN, from the ECS task metadata endpoint v4 that Fargate gives every container
 * (ECS_CONTAINER_METADATA_URI_V4; the local ECS serves it too). The worker records it on the video so that
 * DELETE can stop this task at once. Undefined when there is no endpoint (a worker run by hand) or it does
 * not answer within a couple of seconds: the job goes on; DELETE then stops it at its next heartbeat.
 */
export async function ownTaskArn(metadataUri: string | undefined, timeoutMs = 2_000): Promise<string | undefined> {
  if (metadataUri === undefined) return undefined;
  try {
    const response = await fetch(`${metadataUri}/task`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return undefined;
    const { TaskARN } = (await response.json()) as { TaskARN?: unknown };
    return typeof TaskARN === 'string' && TaskARN.startsWith('arn:') ? TaskARN : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The worker's start on the record: `queued` becomes `processing`, with this task's ARN when the metadata
 * endpoint gives it (DELETE then stops the task at once). A segment's or the join's task (`joinsRunningJob`)
 * only adds its ARN to the job's tasks: the record is processing already. Advisory: the job goes on if the
 * write fails.
 */
export async function recordTranscodeTask(options: {
  videoId: string;
  executionId?: string | undefined;
  taskArn?: (() => Promise<string | undefined>) | undefined;
  videos: Pick<VideoRepository, 'recordTranscodeTask' | 'recordPartTask'>;
  logger: Logger;
  joinsRunningJob?: boolean;
}): Promise<void> {
  const taskArn = await options.taskArn?.();
  try {
    if (options.joinsRunningJob !== true) await options.videos.recordTranscodeTask(options.videoId, taskArn, options.executionId);
    else if (taskArn !== undefined) await options.videos.recordPartTask(options.videoId, taskArn, options.executionId);
  } catch (error) {
    options.logger.warn('could not record the start on the video (DELETE will stop the task at its next heartbeat)', { error: describeError(error) });
  }
}
