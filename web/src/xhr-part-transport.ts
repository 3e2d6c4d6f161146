import type { FormTransport, PartTransport } from '../client/index.ts';

/**
 * Parts sent with XMLHttpRequest, whose upload events say how far a part has gone: the bar moves within a
 * 16 MiB part instead of jumping when S3 confirms it (fetch reports no upload progress, and a browser streams
 * a request body only over HTTP/2 and without a length, which S3 refuses). The answer becomes a Response for
 * web/client: the status, the ETag (readable because the bucket's CORS exposes it) and S3's XML on an error.
 */
export const xhrPartTransport: PartTransport = (url, body, { signal, onSent }) =>
  xhrSend('PUT', url, body, signal, (loaded) => onSent(loaded));

/** The presigned POST of a small file, with the same upload events: the bar moves while it goes. */
export const xhrFormTransport: FormTransport = (url, form, { signal, onSent }) => xhrSend('POST', url, form, signal, onSent);

function xhrSend(
  method: 'PUT' | 'POST',
  url: string,
  body: Blob | FormData,
  signal: AbortSignal | undefined,
  onSent: (loaded: number, total: number) => void,
): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.upload.onprogress = (event) => onSent(event.loaded, event.total);
    xhr.onload = () => {
      const etag = xhr.getResponseHeader('ETag');
      const ok = xhr.status >= 200 && xhr.status < 300;
      resolve(new Response(ok ? null : xhr.responseText, { status: xhr.status, headers: etag === null ? {} : { etag } }));
    };
    // No answer at all (offline, refused, CORS): a TypeError, as fetch rejects, so web/client retries it.
    xhr.onerror = () => reject(new TypeError(method === 'PUT' ? 'Failed to send the part' : 'Failed to send the file'));
    xhr.onabort = () => reject(new DOMException('The upload was aborted', 'AbortError'));
    if (signal?.aborted) return xhr.onabort(new ProgressEvent('abort'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}
