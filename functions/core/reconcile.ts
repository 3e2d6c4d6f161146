import { DescribeExecutionCommand, ExecutionDoesNotExist, type SFNClient } from '@aws-sdk/client-sfn';
import type { S3Client } from '@aws-sdk/client-s3';
import { keys, UPLOADS_PREFIX, VIDEOS_PREFIX } from './keys.ts';
import type { Logger } from './log.ts';
import type { VideoMetrics } from './metrics.ts';
import { deleteObjects, listObjects } from './storage.ts';
import type { VideoRepository } from './video-repository.ts';
import { IN_FLIGHT_STATUSES, isInFlight, type VideoError, type VideoRecord } from './video.ts';

/**
 * A video is in flight (`queued` or `processing`) only while its execution runs. When the execution is gone without saying so on
 * the record — it reached its own TimeoutSeconds (which skips every Catch), it was aborted, or the local
 * cloud that ran it crashed or restarted — the reconciler ends the record `failed` with `interrupted`, a
 * code `POST …/retry` accepts, and removes what the interrupted run may have left (working files, a partial
 * output). Runs from the schedule (every record in flight) and on Step Functions' status events
 * (one execution).
 */
export interface ReconcileDeps {
  s3: S3Client;
  sfn: Pick<SFNClient, 'send'>;
  repository: Pick<VideoRepository, 'listCreatedBefore' | 'markFailed' | 'find'>;
  bucket: string;
  logger: Logger;
  /** Counts each video it fails (VideosFailed, code `interrupted`). */
  metrics?: Pick<VideoMetrics, 'failed'>;
  now?: () => Date;
}

/** How an execution ended, as Step Functions names it; `GONE` when it does not know the execution. */
export type ExecutionState = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE' | 'GONE';

export function interrupted(executionState: Exclude<ExecutionState, 'RUNNING'>): VideoError {
  const why: Record<typeof executionState, string> = {
    GONE: 'its workflow run no longer exists (the local cloud stopped or restarted while it ran)',
    TIMED_OUT: 'its workflow run reached its time limit',
    ABORTED: 'its workflow run was stopped',
    FAILED: 'its workflow run failed before it could record why',
    SUCCEEDED: 'its workflow run ended without recording the result',
    PENDING_REDRIVE: 'its workflow run failed and was not redriven',
  };
  return {
    code: 'interrupted',
    message: `Processing was interrupted: ${why[executionState]}. Nothing was kept of it; POST /videos/{id}/retry runs it again.`,
  };
}

async function executionState(sfn: ReconcileDeps['sfn'], executionArn: string): Promise<ExecutionState> {
  try {
    const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return (status ?? 'GONE') as ExecutionState;
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist || (error as { name?: string }).name === 'ExecutionDoesNotExist') return 'GONE';
    throw error;
  }
}

/**
 * Fails one in-flight record whose execution is known to have ended, and removes its leftovers. The
 * write is conditional on the record still being in flight for that execution: a retry that started
 * meanwhile, or a save that won the race, is left alone. Returns whether it failed the record.
 */
async function failInterrupted(deps: ReconcileDeps, video: VideoRecord, state: Exclude<ExecutionState, 'RUNNING'>): Promise<boolean> {
  const now = (deps.now ?? (() => new Date()))();
  const failed = await deps.repository.markFailed(video.id, interrupted(state), now, {
    onlyFrom: 'in_flight',
    ...(video.execution_id === undefined ? {} : { executionId: video.execution_id }),
  });
  if (!failed) return false;
  deps.metrics?.failed('interrupted');
  // Not saved, so anything under videos/ is a partial output; the upload stays for the retry.
  const leftovers: string[] = [];
  for (const prefix of [keys.tempPrefix(video.id), `${VIDEOS_PREFIX}${video.id}/`]) {
    for await (const object of listObjects(deps.s3, deps.bucket, prefix)) if (object.Key) leftovers.push(object.Key);
  }
  const notDeleted = await deleteObjects(deps.s3, deps.bucket, leftovers);
  for (const error of notDeleted) deps.logger.warn('could not delete a leftover of an interrupted run', { key: error.Key, code: error.Code });
  deps.logger.warn('interrupted video failed', { videoId: video.id, executionId: video.execution_id, executionState: state });
  return true;
}

/** Every record in `queued` or `processing` whose execution is no longer running: what the schedule runs. */
export async function reconcileProcessing(deps: ReconcileDeps): Promise<number> {
  const now = (deps.now ?? (() => new Date()))();
  let reconciled = 0;
  for (const status of IN_FLIGHT_STATUSES) {
    let startKey: Record<string, string> | undefined;
    do {
      const page = await deps.repository.listCreatedBefore({ status, before: now, limit: 100, ...(startKey ? { startKey } : {}) });
      for (const video of page.videos) {
        const state = video.execution_id === undefined ? 'GONE' : await executionState(deps.sfn, video.execution_id);
        if (state !== 'RUNNING' && (await failInterrupted(deps, video, state))) reconciled += 1;
      }
      startKey = page.nextStartKey;
    } while (startKey !== undefined);
  }
  return reconciled;
}

/** Step Functions' "Execution Status Change" event, the fields used here. */
export interface ExecutionStatusChange {
  executionArn: string;
  status: string;
  /** The execution's input: the S3 "Object Created" event that started it. */
  input?: string | null;
}

/** The video an execution ran for, from its input (uploads/{id}/source.{ext}). */
export function videoIdOfExecutionInput(input: string | null | undefined): string | undefined {
  if (!input) return undefined;
  try {
    const key = (JSON.parse(input) as { detail?: { object?: { key?: unknown } } }).detail?.object?.key;
    if (typeof key !== 'string' || !key.startsWith(UPLOADS_PREFIX)) return undefined;
    return key.slice(UPLOADS_PREFIX.length).split('/')[0] || undefined;
  } catch {
    return undefined;
  }
}

/** One execution that ended (TIMED_OUT, ABORTED, FAILED): its video, if still in flight for it. */
export async function reconcileExecution(deps: ReconcileDeps, change: ExecutionStatusChange): Promise<boolean> {
  const state = change.status as ExecutionState;
  if (state === 'RUNNING') return false;
  const videoId = videoIdOfExecutionInput(change.input);
  if (videoId === undefined) return false;
  const video = await deps.repository.find(videoId);
  if (!isInFlight(video?.status) || video?.execution_id !== change.executionArn) return false;
  return failInterrupted(deps, video, state);
}
