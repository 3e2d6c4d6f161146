/**
 * The one error hierarchy of vidp.
 *
 * Every error a client or the workflow can see is an AppError with a stable, machine-readable `code`.
 * `statusCode` and `expose` decide how the HTTP layer answers (one mapping, in functions/api/http.ts);
 * `name` is what Step Functions matches in Retry/Catch when a Lambda or the worker throws it, so it is
 * part of the contract with statemachine/pipeline.asl.json and must not change casually.
 */
export type ErrorDetails = Record<string, unknown> | unknown[];

export abstract class AppError extends Error {
  abstract readonly code: string;
  abstract readonly statusCode: number;
  /** Whether `message` and `details` may be shown to the client. 5xx never expose. */
  readonly expose: boolean = true;
  readonly details?: ErrorDetails;

  constructor(message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options.details !== undefined) this.details = options.details;
  }
}

// ---- client errors (4xx) -------------------------------------------------------------------------

export class ValidationError extends AppError {
  readonly code = 'validation_failed';
  readonly statusCode = 400;
}

export class NotFoundError extends AppError {
  readonly code = 'not_found';
  readonly statusCode = 404;
}

export class NotReadyError extends AppError {
  readonly code = 'not_ready';
  readonly statusCode = 409;
}

export class ConflictError extends AppError {
  readonly code = 'conflict';
  readonly statusCode = 409;
}

export class PayloadTooLargeError extends AppError {
  readonly code = 'payload_too_large';
  readonly statusCode = 413;
}

export class UnsupportedMediaTypeError extends AppError {
  readonly code = 'unsupported_media_type';
  readonly statusCode = 415;
}

// ---- server errors (5xx): generic to the client, details only in logs --------------------------------

export class InternalError extends AppError {
  readonly code = 'internal_error';
  readonly statusCode = 500;
  override readonly expose = false;
}

export class DependencyUnavailableError extends AppError {
  readonly code = 'dependency_unavailable';
  readonly statusCode = 503;
  override readonly expose = false;
}

// ---- pipeline errors: end a job as `failed` with this code (the statusCode is what an API would use) ----

/** The subtitles could not be read or are not a valid subtitle file. Not retried. */
export class SubtitlesInvalidError extends AppError {
  readonly code = 'subtitles_invalid';
  readonly statusCode = 422;
}

/** The subtitles object has not arrived yet: the workflow retries this one with backoff. */
export class SubtitlesNotReadyError extends AppError {
  readonly code = 'subtitles_missing';
  readonly statusCode = 422;
}

/** The uploaded source is not a usable video (not media, no video stream, truncated). Not retried. */
export class InputInvalidError extends AppError {
  readonly code = 'input_invalid';
  readonly statusCode = 422;
}

/** FFmpeg failed on an input that probed fine. */
export class TranscodeFailedError extends AppError {
  readonly code = 'transcode_failed';
  readonly statusCode = 500;
  override readonly expose = false;
}

/** The worker's environment is broken (no font, no ffmpeg): an operator must act, retrying won't help. */
export class WorkerMisconfiguredError extends AppError {
  readonly code = 'worker_misconfigured';
  readonly statusCode = 500;
  override readonly expose = false;
}

/** A storage call failed in a way that may pass (S3 5xx, throttling, network): retried by the workflow. */
export class StorageUnavailableError extends AppError {
  readonly code = 'storage_unavailable';
  readonly statusCode = 503;
  override readonly expose = false;
}

/** The encode stopped making progress, or took longer than allowed. Not retried: it would hang again. */
export class TranscodeTimeoutError extends AppError {
  readonly code = 'timeout';
  readonly statusCode = 504;
}

/**
 * The subtitle service failed in a way that may pass (5xx, timeout, connection dropped): the workflow
 * retries it with backoff. Messages name the host only, never the URL (its query may hold a token).
 */
export class SubtitlesUnavailableError extends AppError {
  readonly code = 'subtitles_unavailable';
  readonly statusCode = 503;
}

/** The subtitle URL answered with a client error (4xx), could not be resolved, or redirected too often. */
export class SubtitlesFetchFailedError extends AppError {
  readonly code = 'subtitles_fetch_failed';
  readonly statusCode = 422;
}

/** The subtitle URL points somewhere the workflow must not go (a private, loopback or link-local address). */
export class SubtitlesUrlRefusedError extends AppError {
  readonly code = 'subtitles_url_refused';
  readonly statusCode = 422;
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
