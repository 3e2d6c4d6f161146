import { PIPELINE_ERRORS, type AppError } from './errors.ts';
import type { VideoError } from './video.ts';

/** What a Step Functions Catch puts at ResultPath: the error name and its cause (a string, often JSON). */
export interface CaughtError {
  Error: string;
  Cause?: string;
}

const BY_NAME: ReadonlyMap<string, AppError> = new Map(
  PIPELINE_ERRORS.map(({ error: ErrorClass }) => {
    const instance = new ErrorClass('');
    return [instance.name, instance];
  }),
);

/** What a user reads when the cause cannot be shown (5xx-like failures: the details stay in the logs). */
const GENERIC_MESSAGES: Record<string, string> = {
  transcode_failed: 'FFmpeg could not encode this video. The execution log has the details.',
  worker_misconfigured: 'The transcoding worker is misconfigured (an operator has to fix it); retry once fixed.',
  storage_unavailable: 'Storage was unavailable for too long while processing; retry the video.',
  internal_error: 'Processing failed unexpectedly. The execution log has the details; retry the video.',
  timeout: 'Processing took longer than allowed and was stopped.',
  subtitles_unavailable: 'The subtitle service did not deliver the subtitles, even after retries.',
};

/**
 * Step Functions' own timeouts of the Transcode task. Nobody heartbeating means the worker died (crashed,
 * was killed, ran out of memory) or hung: the workflow already retried it by then.
 */
const STATES_TIMEOUTS: Record<string, string> = {
  'States.Timeout': 'Processing took longer than allowed and was stopped.',
  'States.HeartbeatTimeout':
    'The transcoding worker stopped responding (it crashed, was stopped or hung), also when retried.',
};

/**
 * Turns the error a workflow step failed with into the `{code, message}` stored on the record:
 * our own errors keep their code and (when safe) their message; Step Functions' own errors get a code
 * of their own; anything else is an internal error with a generic message.
 */
export function describeFailure(caught: CaughtError): VideoError {
  const timeout = STATES_TIMEOUTS[caught.Error];
  if (timeout !== undefined) return { code: 'timeout', message: timeout };
  const known = BY_NAME.get(caught.Error);
  if (known === undefined) return { code: 'internal_error', message: GENERIC_MESSAGES.internal_error! };
  const message = known.expose ? messageFromCause(caught.Cause) : undefined;
  return { code: known.code, message: message ?? GENERIC_MESSAGES[known.code] ?? GENERIC_MESSAGES.internal_error! };
}

/** Lambda causes are `{errorType, errorMessage, …}`; the worker's are `{code, message}`; others plain text. */
function messageFromCause(cause: string | undefined): string | undefined {
  if (cause === undefined || cause.trim() === '') return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown; message?: unknown };
    const message = parsed.errorMessage ?? parsed.message;
    return typeof message === 'string' && message !== '' ? message : undefined;
  } catch {
    return cause;
  }
}
