import { InvalidToken, SendTaskFailureCommand, TaskDoesNotExist, TaskTimedOut, type SFNClient } from '@aws-sdk/client-sfn';
import { InternalError, isAppError } from '../../../functions/core/errors.ts';
import { describeError, type Logger } from '../../../functions/core/log.ts';

export interface TaskFailure {
  /** The AppError's class name: what the ASL's Retry/Catch match. */
  error: string;
  /** JSON `{ code, message }`, which MarkFailed puts on the record. */
  cause: string;
}

/**
 * What SendTaskFailure carries for `error`. Anything that is not an AppError becomes a generic
 * InternalError: its details stay in the log, never on the record.
 */
export function toTaskFailure(error: unknown): TaskFailure {
  const appError = isAppError(error)
    ? error
    : new InternalError('The video could not be processed because of an internal error');
  return { error: appError.name, cause: JSON.stringify({ code: appError.code, message: appError.message }) };
}

export async function sendTaskFailure(sfn: SFNClient, taskToken: string, failure: TaskFailure): Promise<void> {
  await sfn.send(new SendTaskFailureCommand({ taskToken, ...failure }));
}

/** Step Functions' answer for a token nobody waits on any more (its execution stopped, its state timed out). */
export function isTaskGone(error: unknown): boolean {
  return error instanceof TaskTimedOut || error instanceof TaskDoesNotExist || error instanceof InvalidToken;
}

/**
 * Reports the failure; a token nobody waits on is no error here: the execution was stopped first (a DELETE
 * stops it, then the task), so the report changes nothing and the job is `abandoned`. Other errors reject.
 */
export async function reportTaskFailure(
  sfn: SFNClient,
  taskToken: string,
  failure: TaskFailure,
  logger: Logger,
): Promise<'failed' | 'abandoned'> {
  try {
    await sendTaskFailure(sfn, taskToken, failure);
    return 'failed';
  } catch (error) {
    if (!isTaskGone(error)) throw error;
    logger.warn('nobody waits for this task any more: the failure changed nothing', { error: failure.error, reason: describeError(error) });
    return 'abandoned';
  }
}
