import { SendTaskFailureCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { InternalError, isAppError } from '../../../functions/core/errors.ts';

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
