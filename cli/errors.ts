import { CommanderError } from 'commander';
import { VidpAbortedError, VidpApiError, VidpStorageError, VidpUnreachableError } from '../web/client/index.ts';

/**
 * The CLI's one error hierarchy. Each class carries the exit code a script can rely on (README, "The CLI"):
 *   0 success · 1 the job failed or the API/S3 refused · 2 usage · 3 the API cannot be reached · 130 interrupted
 * `code` is a stable machine-readable word printed with the message on stderr (the API's own code when the
 * API refused).
 */
export const EXIT_CODES = { ok: 0, failed: 1, usage: 2, unreachable: 3, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

export abstract class CliError extends Error {
  abstract override readonly name: string;
  abstract readonly exitCode: ExitCode;
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Unknown command or option, a bad option value, a missing or unreadable file, a file type vidp does not take. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  readonly exitCode = EXIT_CODES.usage;
}

/** The API (or S3, on an upload URL the API signed) answered with an error; `code` is the API's (or S3's). */
export class RefusedError extends CliError {
  override readonly name = 'RefusedError';
  readonly exitCode = EXIT_CODES.failed;
  constructor(code: string, message: string, readonly status: number, readonly requestId?: string) {
    super(code, message);
  }
}

/** The video's job ended `failed`: `code` is the record's error code. */
export class JobFailedError extends CliError {
  override readonly name = 'JobFailedError';
  readonly exitCode = EXIT_CODES.failed;
}

export class UnreachableError extends CliError {
  override readonly name = 'UnreachableError';
  readonly exitCode = EXIT_CODES.unreachable;
}

/** Ctrl-C (SIGINT) or SIGTERM: what was left and how to go on is in the message. */
export class InterruptedError extends CliError {
  override readonly name = 'InterruptedError';
  readonly exitCode = EXIT_CODES.interrupted;
}

/** A bug or something nobody foresaw: exit 1, with the stack when VIDP_DEBUG is set. */
export class UnexpectedError extends CliError {
  override readonly name = 'UnexpectedError';
  readonly exitCode = EXIT_CODES.failed;
}

/** The one mapping from whatever was thrown to a CliError (and so to an exit code). */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof VidpApiError) return new RefusedError(error.code, error.message, error.status, error.requestId);
  if (error instanceof VidpStorageError) return new RefusedError(error.code, `S3 refused the upload: ${error.message}`, error.status);
  if (error instanceof VidpUnreachableError) return new UnreachableError('unreachable', `${error.message}: is the API running? (--api URL or VIDP_API_URL)`);
  if (error instanceof VidpAbortedError) return new InterruptedError('interrupted', 'Interrupted');
  if (error instanceof CommanderError) {
    // commander.unknownOption → unknown_option, in the style of the API's codes.
    const code = error.code.replace(/^commander\./, '').replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
    return new UsageError(code, error.message.replace(/^error: /, ''));
  }
  return new UnexpectedError('unexpected', error instanceof Error ? error.message : String(error), { cause: error });
}
