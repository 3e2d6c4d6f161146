import { SendTaskHeartbeatCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { describeError, type Logger } from '../../../functions/core/log.ts';
import { isTaskGone } from './failures.ts';

export interface HeartbeatDeps {
  sfn: SFNClient;
  logger: Logger;
  /** Keep well under the Transcode state's HeartbeatSeconds. */
  heartbeatIntervalMs: number;
}

export interface Heartbeat {
  /** Beats at once (after any beat in flight): a task that is gone calls `onTaskGone` before this resolves. */
  beatNow(): Promise<void>;
  /** No beat after this; resolves once the beat in flight, if any, has ended. */
  stop(): Promise<void>;
}

/**
 * Heartbeats for the whole job (downloads and uploads of big files take time too), the first one at once:
 * HeartbeatSeconds counts from the Transcode state's start, so a cold Fargate start has used part of it
 * before the worker runs. When Step Functions says the token is dead, nobody waits for this job any more:
 * `onTaskGone` stops it. Any other failure may pass, and the next interval tries again.
 */
export function startHeartbeat(taskToken: string, deps: HeartbeatDeps, onTaskGone: (reason: unknown) => void): Heartbeat {
  let stopped = false;
  let inFlight: Promise<void> | undefined;
  const beat = async () => {
    try {
      await deps.sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
    } catch (error) {
      if (stopped) return;
      if (isTaskGone(error)) {
        onTaskGone(error);
      } else {
        deps.logger.warn('heartbeat failed, trying again at the next interval', { error: describeError(error) });
      }
    }
  };
  const beatUnlessInFlight = () => {
    if (inFlight !== undefined) return;
    inFlight = beat().finally(() => {
      inFlight = undefined;
    });
  };
  beatUnlessInFlight();
  const timer = setInterval(beatUnlessInFlight, deps.heartbeatIntervalMs);
  return {
    async beatNow() {
      await inFlight;
      await beat();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}
