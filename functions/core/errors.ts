/**
 * The one error hierarchy of vidp.
 *
 * Every error a client or the workflow can see is an AppError with a stable, machine-readable `code`.
 * `statusCode` and `expose` decide how the HTTP layer answers (one mapping, in functions/api/http.ts);
 * `name` is what Step Functions matches in Retry/Catch when a Lambda or the worker throws it, so it is
 * part of the contract with statemachine/pipeline.asl.json: each class declares it as a literal (a class
 * name is only an accident of the bundler, which may rename it), and test/unit/error-contract.test.ts
 * checks the ASL against PIPELINE_ERRORS.
 */
export type ErrorDetails = Record<string, unknown> | unknown[];

export abstract class AppError extends Error {
  abstract override readonly name: string;
  abstract readonly code: string;
  abstract readonly statusCode: number;
  /** Whether `message` and `details` may be shown to the client. 5xx never expose. */
  readonly expose: boolean = true;
  readonly details?: ErrorDetails;

  constructor(message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.details !== undefined) this.details = options.details;
  }
}

// ---- client errors (4xx) -------------------------------------------------------------------------

export class ValidationError extends AppError {
  override readonly name = 'ValidationError';
  readonly code = 'validation_failed';
  readonly statusCode = 400;
}

export class NotFoundError extends AppError {
  override readonly name = 'NotFoundError';
  readonly code = 'not_found';
  readonly statusCode = 404;
}

export class NotReadyError extends AppError {
  override readonly name = 'NotReadyError';
  readonly code = 'not_ready';
  readonly statusCode = 409;
}

export class ConflictError extends AppError {
  override readonly name = 'ConflictError';
  readonly code = 'conflict';
  readonly statusCode = 409;
}

export class PayloadTooLargeError extends AppError {
  override readonly name = 'PayloadTooLargeError';
  readonly code = 'payload_too_large';
  readonly statusCode = 413;
}

export class UnsupportedMediaTypeError extends AppError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly code = 'unsupported_media_type';
  readonly statusCode = 415;
}

// ---- server errors (5xx): generic to the client, details only in logs --------------------------------

export class InternalError extends AppError {
  override readonly name = 'InternalError';
  readonly code = 'internal_error';
  readonly statusCode = 500;
  override readonly expose = false;
}

export class DependencyUnavailableError extends AppError {
  override readonly name = 'DependencyUnavailableError';
  readonly code = 'dependency_unavailable';
  readonly statusCode = 503;
  override readonly expose = false;
}

// ---- pipeline errors: end a job as `failed` with this code (the statusCode is what an API would use) ----

/** The subtitles could not be read or are not a valid subtitle file. Not retried. */
export class SubtitlesInvalidError extends AppError {
  override readonly name = 'SubtitlesInvalidError';
  readonly code = 'subtitles_invalid';
  readonly statusCode = 422;
}

/** The subtitles object has not arrived yet: the workflow retries this one with backoff. */
export class SubtitlesNotReadyError extends AppError {
  override readonly name = 'SubtitlesNotReadyError';
  readonly code = 'subtitles_missing';
  readonly statusCode = 422;
}

/** The uploaded source is not a usable video (not media, no video stream, truncated). Not retried. */
export class InputInvalidError extends AppError {
  override readonly name = 'InputInvalidError';
  readonly code = 'input_invalid';
  readonly statusCode = 422;
}

/**
 * The output could not fit on the worker's disk at the requested quality (a near-lossless CRF on a long
 * video): refused before encoding. Not retried: it would not fit the next time either.
 */
export class OutputTooLargeError extends AppError {
  override readonly name = 'OutputTooLargeError';
  readonly code = 'output_too_large';
  readonly statusCode = 422;
}

/**
 * The upload was written over after the workflow claimed it (a second upload to the same presigned POST):
 * the encode read the object it claimed by its ETag, and stopped rather than mix two files. Not retried;
 * `POST …/retry` processes the upload that is there now.
 */
export class SourceChangedError extends AppError {
  override readonly name = 'SourceChangedError';
  readonly code = 'source_changed';
  readonly statusCode = 409;
}

/**
 * Some subtitle characters have no glyph in any font the worker has, and the request asked to fail rather
 * than burn boxes (`MISSING_GLYPHS=fail`). Not retried: the same fonts would miss them again.
 */
export class MissingGlyphsError extends AppError {
  override readonly name = 'MissingGlyphsError';
  readonly code = 'missing_glyphs';
  readonly statusCode = 422;
}

/** FFmpeg failed on an input that probed fine. */
export class TranscodeFailedError extends AppError {
  override readonly name = 'TranscodeFailedError';
  readonly code = 'transcode_failed';
  readonly statusCode = 500;
  override readonly expose = false;
}

/** The worker's environment is broken (no font, no ffmpeg): an operator must act, retrying won't help. */
export class WorkerMisconfiguredError extends AppError {
  override readonly name = 'WorkerMisconfiguredError';
  readonly code = 'worker_misconfigured';
  readonly statusCode = 500;
  override readonly expose = false;
}

/** A storage call failed in a way that may pass (S3 5xx, throttling, network): retried by the workflow. */
export class StorageUnavailableError extends AppError {
  override readonly name = 'StorageUnavailableError';
  readonly code = 'storage_unavailable';
  readonly statusCode = 503;
  override readonly expose = false;
}

/**
 * The worker's task was told to stop (SIGTERM) before it finished: Fargate reclaiming a Spot task (two minutes'
 * notice), or ECS stopping the task (StopTask, a platform retirement). Retryable: nothing is wrong with the job.
 * The workflow runs a Spot job again once, on on-demand FARGATE (statemachine/pipeline.asl.json's
 * FallBackToOnDemand); a stop that was a DELETE finds no execution waiting, so its report changes nothing.
 */
export class TaskInterruptedError extends AppError {
  override readonly name = 'TaskInterruptedError';
  readonly code = 'task_interrupted';
  readonly statusCode = 503;
}

/** The encode stopped making progress, or took longer than allowed. Not retried: it would hang again. */
export class TranscodeTimeoutError extends AppError {
  override readonly name = 'TranscodeTimeoutError';
  readonly code = 'timeout';
  readonly statusCode = 504;
}

/**
 * The subtitle service failed in a way that may pass (5xx, timeout, connection dropped): the workflow
 * retries it with backoff. Messages name the host only, never the URL (its query may hold a token).
 */
export class SubtitlesUnavailableError extends AppError {
  override readonly name = 'SubtitlesUnavailableError';
  readonly code = 'subtitles_unavailable';
  readonly statusCode = 503;
}

/** The subtitle URL answered with a client error (4xx), could not be resolved, or redirected too often. */
export class SubtitlesFetchFailedError extends AppError {
  override readonly name = 'SubtitlesFetchFailedError';
  readonly code = 'subtitles_fetch_failed';
  readonly statusCode = 422;
}

/** The subtitle URL points somewhere the workflow must not go (a private, loopback or link-local address). */
export class SubtitlesUrlRefusedError extends AppError {
  override readonly name = 'SubtitlesUrlRefusedError';
  readonly code = 'subtitles_url_refused';
  readonly statusCode = 422;
}

/**
 * The errors a workflow step (a pipeline Lambda or the worker) can end with, by the name Step Functions
 * sees. describeFailure turns each into the code on the record; anything else becomes `internal_error`.
 * `retried` says whether the ASL retries it (the README's error table tells users the same).
 */
export const PIPELINE_ERRORS = [
  { error: SubtitlesInvalidError, retried: false },
  { error: SubtitlesNotReadyError, retried: true },
  { error: SubtitlesUnavailableError, retried: true },
  { error: SubtitlesFetchFailedError, retried: false },
  { error: SubtitlesUrlRefusedError, retried: false },
  { error: InputInvalidError, retried: false },
  { error: OutputTooLargeError, retried: false },
  { error: MissingGlyphsError, retried: false },
  { error: SourceChangedError, retried: false },
  { error: TranscodeFailedError, retried: false },
  { error: TranscodeTimeoutError, retried: false },
  { error: WorkerMisconfiguredError, retried: false },
  { error: StorageUnavailableError, retried: true },
  // Retried by routing rather than a Retry: the next attempt must change capacity (see the ASL's Transcode Catch).
  { error: TaskInterruptedError, retried: true },
  { error: NotFoundError, retried: false },
  { error: InternalError, retried: false },
] as const satisfies readonly { error: new (message: string) => AppError; retried: boolean }[];

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
