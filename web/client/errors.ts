/**
 * What can go wrong talking to vidp, as one small hierarchy both the CLI and the page branch on:
 * the API refused (VidpApiError, with the API's own stable code), the API or S3 could not be reached at all
 * (VidpUnreachableError), S3 refused an upload (VidpStorageError), or the caller aborted (VidpAbortedError).
 * Names are literals: a bundler may rename classes, and callers may log `name`.
 */
export abstract class VidpClientError extends Error {
  abstract override readonly name: string;
}

/** The API answered with an error: `code` is its stable machine-readable code (README, "Statuses and error codes"). */
export class VidpApiError extends VidpClientError {
  override readonly name = 'VidpApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** No answer at all (connection refused, DNS, TLS, offline): a different problem from a refusal. */
export class VidpUnreachableError extends VidpClientError {
  override readonly name = 'VidpUnreachableError';
  constructor(
    readonly url: string,
    options: { cause?: unknown } = {},
  ) {
    super(`Cannot reach ${originOf(url)}${causeText(options.cause)}`, options);
  }
}

/** S3 refused an upload request (after the retries, for a 5xx). `code` is S3's (AccessDenied, EntityTooLarge, …). */
export class VidpStorageError extends VidpClientError {
  override readonly name = 'VidpStorageError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The caller's AbortSignal fired: nothing is wrong, the work was stopped on purpose. */
export class VidpAbortedError extends VidpClientError {
  override readonly name = 'VidpAbortedError';
  constructor() {
    super('Aborted');
  }
}

/** Signed URLs carry credentials in their query: an error message names the origin only. */
function originOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname.startsWith('/api') ? '/api' : ''}`;
  } catch {
    return 'the server';
  }
}

function causeText(cause: unknown): string {
  const inner = (cause as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const detail = typeof inner?.code === 'string' ? inner.code : typeof inner?.message === 'string' ? inner.message : undefined;
  return detail === undefined ? '' : ` (${detail})`;
}
