import { VidpAbortedError, VidpApiError, VidpUnreachableError } from './errors.ts';

export type Fetch = typeof fetch;

/**
 * One fetch, with the two failures that are not HTTP answers told apart: the caller's abort
 * (VidpAbortedError) and no answer at all (VidpUnreachableError). Every HTTP answer is returned as is.
 */
export function send(fetchImpl: Fetch, url: string, init: RequestInit): Promise<Response> {
  return answerOf(url, init.signal ?? undefined, () => fetchImpl(url, init));
}

/** The same for any way of sending a request (a fetch, or a part transport that reports its progress). */
export async function answerOf(url: string, signal: AbortSignal | undefined, request: () => Promise<Response>): Promise<Response> {
  try {
    return await request();
  } catch (error) {
    if (signal?.aborted) throw new VidpAbortedError();
    throw new VidpUnreachableError(url, { cause: error });
  }
}

interface ApiErrorBody {
  error?: { code?: unknown; message?: unknown; details?: unknown };
  request_id?: unknown;
}

/**
 * The API's error answer as a VidpApiError. An answer that is not the API's error shape (a proxy's HTML
 * page, an empty 502) becomes `unexpected_response` with the status line: a raw body is never shown.
 */
export async function apiErrorOf(response: Response): Promise<VidpApiError> {
  const body = (await response.json().catch(() => undefined)) as ApiErrorBody | undefined;
  const requestId = typeof body?.request_id === 'string' ? body.request_id : (response.headers.get('x-amzn-requestid') ?? undefined);
  if (typeof body?.error?.code === 'string' && typeof body.error.message === 'string') {
    return new VidpApiError(response.status, body.error.code, body.error.message, requestId, body.error.details);
  }
  // API Gateway's own answers (missing API key, throttling) are {"message": "..."}.
  const gatewayMessage = (body as { message?: unknown } | undefined)?.message;
  const message = typeof gatewayMessage === 'string' ? gatewayMessage : `HTTP ${response.status} ${response.statusText}`.trim();
  return new VidpApiError(response.status, response.status === 403 ? 'forbidden' : 'unexpected_response', message, requestId);
}
