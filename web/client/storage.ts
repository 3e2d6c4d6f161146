import pRetry from 'p-retry';
import { VidpAbortedError, VidpClientError, VidpStorageError, VidpUnreachableError } from './errors.ts';
import { answerOf, send, type Fetch } from './http.ts';

/**
 * Requests straight to S3 on the URLs the API presigned: the retry policy (5xx and network errors, with
 * exponential backoff and jitter) and S3's XML errors turned into VidpStorageError.
 */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** Wait before the first retry; doubled each time, times a random 1–2 (jitter), at most maxDelayMs. */
  minDelayMs: number;
  maxDelayMs: number;
}
export const DEFAULT_RETRY: RetryPolicy = { retries: 5, minDelayMs: 500, maxDelayMs: 15_000 };

/** A presigned URL that S3 says has expired: the caller gets a fresh one and tries again. */
export function isExpiredUrl(error: unknown): boolean {
  return error instanceof VidpStorageError && error.status === 403 && /expired/i.test(error.message);
}

/** Worth another try: no answer, throttled, or a 5xx. */
export function isTransient(error: unknown): boolean {
  return error instanceof VidpUnreachableError || (error instanceof VidpStorageError && (error.status >= 500 || error.status === 429));
}

/** Runs `attempt` until it succeeds, fails for good, or the signal fires (then VidpAbortedError). */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  shouldRetry: (error: unknown) => boolean = isTransient,
): Promise<T> {
  try {
    return await pRetry(attempt, {
      retries: policy.retries,
      minTimeout: policy.minDelayMs,
      maxTimeout: policy.maxDelayMs,
      factor: 2,
      randomize: true,
      ...(signal === undefined ? {} : { signal }),
      shouldRetry: ({ error }) => !(error instanceof VidpAbortedError) && shouldRetry(error),
    });
  } catch (error) {
    if (signal?.aborted) throw new VidpAbortedError();
    throw error;
  }
}

/**
 * How a part's PUT is sent. The default is one fetch, which cannot say how far along it is (progress then
 * moves a part at a time); a transport that can (XMLHttpRequest's upload events in a browser, a counted
 * request stream in Node) calls `onSent` with the bytes sent so far.
 */
export type PartTransport = (url: string, body: Blob, options: { signal?: AbortSignal; onSent: (bytes: number) => void }) => Promise<Response>;

/** How the presigned POST's form is sent; `onSent` counts the encoded form's bytes (fields, then the file) as they go. */
export type FormTransport = (
  url: string,
  form: FormData,
  options: { signal?: AbortSignal; onSent: (sentBytes: number, formBytes: number) => void },
) => Promise<Response>;

export function fetchPartTransport(fetchImpl: Fetch): PartTransport {
  return (url, body, { signal }) => fetchImpl(url, { method: 'PUT', body, ...(signal === undefined ? {} : { signal }) });
}

/** One PUT of a part; resolves with its ETag (CORS must expose it, as the bucket's rule does). */
export async function putPart(transport: PartTransport, url: string, body: Blob, signal: AbortSignal | undefined, onSent: (bytes: number) => void): Promise<string> {
  const response = await answerOf(url, signal, () => transport(url, body, { ...(signal === undefined ? {} : { signal }), onSent }));
  if (!response.ok) throw await storageErrorOf(response);
  const etag = response.headers.get('etag');
  if (etag === null) throw new VidpStorageError(response.status, 'missing_etag', 'S3 answered the part without an ETag (is ETag an exposed header in the bucket CORS?)');
  await response.body?.cancel();
  return etag;
}

/** A presigned POST the way an HTML form sends it: the policy's fields first, the file last. */
export async function postForm(
  fetchImpl: Fetch,
  upload: { url: string; fields: Record<string, string> },
  file: Blob,
  filename: string,
  signal: AbortSignal | undefined,
  transport?: { send: FormTransport; onSent: (sentBytes: number, formBytes: number) => void },
): Promise<void> {
  const form = presignedPostForm(upload, file, filename);
  const response =
    transport === undefined
      ? await send(fetchImpl, upload.url, { method: 'POST', body: form, ...(signal === undefined ? {} : { signal }) })
      : await answerOf(upload.url, signal, () => transport.send(upload.url, form, { ...(signal === undefined ? {} : { signal }), onSent: transport.onSent }));
  if (!response.ok) throw await storageErrorOf(response);
  await response.body?.cancel();
}

/** S3 checks the policy's fields and takes the first file after them: the fields go first. */
export function presignedPostForm(upload: { fields: Record<string, string> }, file: Blob, filename: string): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append('file', file, filename);
  return form;
}

/** S3 answers errors as XML: its Code and Message, never the raw body. */
export async function storageErrorOf(response: Response): Promise<VidpClientError> {
  const text = await response.text().catch(() => '');
  const tag = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
  const code = tag('Code') ?? `http_${response.status}`;
  const message = tag('Message') ?? `S3 answered ${response.status} ${response.statusText}`.trim();
  return new VidpStorageError(response.status, code, `${code}: ${message}`);
}
