/**
 * What SIGTERM means to the worker. Fargate sends it when it reclaims a Spot task (two minutes after the
 * interruption notice, SIGKILL follows after the container's stop timeout) and when ECS stops a task
 * (StopTask, a platform retirement). Either way the job is fine and may simply run again: the worker stops
 * ffmpeg and reports TaskInterruptedError, which the workflow retries (a Spot job once more on on-demand
 * FARGATE). A DELETE stops the execution before the task, so that report finds nobody waiting.
 */
import { TaskInterruptedError } from '../../../functions/core/errors.ts';
import type { Logger } from '../../../functions/core/log.ts';
import type { CapacityProvider } from '../../../functions/core/video.ts';

/** Aborted on the first SIGTERM, with the TaskInterruptedError the job reports as its reason. */
export function stopOnSigterm(
  target: Pick<NodeJS.Process, 'once'>,
  capacityProvider: CapacityProvider,
  logger: Pick<Logger, 'warn'>,
): AbortSignal {
  const stopping = new AbortController();
  target.once('SIGTERM', () => {
    logger.warn('SIGTERM: the task is being stopped; stopping the encode to report an interruption', { capacityProvider });
    stopping.abort(
      new TaskInterruptedError(
        capacityProvider === 'FARGATE_SPOT'
          ? 'The Fargate Spot task was interrupted (AWS reclaimed its capacity) before the video was done'
          : 'The task was stopped before the video was done',
      ),
    );
  });
  return stopping.signal;
}
