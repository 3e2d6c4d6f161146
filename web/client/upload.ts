import pLimit from 'p-limit';
import type { CreatedVideo, VidpApi } from './api.ts';
import { VidpAbortedError } from './errors.ts';
import type { Fetch } from './http.ts';
import {
  DEFAULT_RETRY,
  fetchPartTransport,
  isExpiredUrl,
  isTransient,
  postForm,
  putPart,
  withRetries,
  type FormTransport,
  type PartTransport,
  type RetryPolicy,
} from './storage.ts';

/**
 * The video, straight to S3 the way the API asked for it: one presigned POST for a small file; for a
 * large one its parts from `blob.slice()` (never the whole file in memory), a few in flight, each retried,
 * then the completion. A multipart upload always starts by asking the API which parts S3 already has, so
 * the same call resumes an upload after a crash, a reload or Ctrl-C: finished parts are not sent again.
 */
export interface UploadProgress {
  /** confirmedBytes plus what the parts on their way have sent so far (known only with a partTransport). */
  sentBytes: number;
  /** Bytes S3 has confirmed, including the parts it had before this call (resumedBytes). */
  confirmedBytes: number;
  totalBytes: number;
  /** The whole size of the requests on their way now. */
  inFlightBytes: number;
  /** Bytes S3 already held when the call started: not sent again. */
  resumedBytes: number;
  partsDone: number;
  partCount: number;
}

export interface UploadOptions {
  onProgress?: (progress: UploadProgress) => void;
  /** Stops the upload: in-flight requests are aborted and the call rejects with VidpAbortedError. */
  signal?: AbortSignal;
  /** Parts on their way at once, 1–6 (default 4): enough to fill a link, few enough not to starve it. */
  partsInFlight?: number;
  /** The name the form upload gives the file (a File's own name otherwise). */
  filename?: string;
  retry?: RetryPolicy;
  /** How parts are sent (default: one fetch each, which reports no progress within a part). */
  partTransport?: PartTransport;
  /** How a small file's presigned POST is sent (default: one fetch, which reports no progress until it ends). */
  formTransport?: FormTransport;
}

export const DEFAULT_PARTS_IN_FLIGHT = 4;
export const MAX_PARTS_IN_FLIGHT = 6;
/** Part URLs asked for in one request: a few rounds of work, not the whole file (the URLs expire). */
const PRESIGN_BATCH = 12;

export async function uploadFile(
  api: VidpApi,
  fetchImpl: Fetch,
  created: Pick<CreatedVideo, 'video' | 'upload'>,
  blob: Blob,
  options: UploadOptions = {},
): Promise<void> {
  if (options.signal?.aborted) throw new VidpAbortedError();
  const retry = options.retry ?? DEFAULT_RETRY;
  const report = (progress: Omit<UploadProgress, 'totalBytes'>) => options.onProgress?.({ ...progress, totalBytes: blob.size });
  if (created.upload.method === 'POST') {
    report({ sentBytes: 0, confirmedBytes: 0, inFlightBytes: blob.size, resumedBytes: 0, partsDone: 0, partCount: 1 });
    const upload = created.upload;
    const filename = options.filename ?? (blob as Partial<File>).name ?? 'video';
    // The policy's fields go before the file: of what has gone, the file's share is what is past them.
    const fileBytesOf = (sent: number, formBytes: number) => Math.max(0, Math.min(blob.size, sent - (formBytes - blob.size)));
    const transport = options.formTransport && {
      send: options.formTransport,
      onSent: (sent: number, formBytes: number) =>
        report({ sentBytes: fileBytesOf(sent, formBytes), confirmedBytes: 0, inFlightBytes: blob.size, resumedBytes: 0, partsDone: 0, partCount: 1 }),
    };
    await withRetries(() => postForm(fetchImpl, upload, blob, filename, options.signal, transport), retry, options.signal);
    report({ sentBytes: blob.size, confirmedBytes: blob.size, inFlightBytes: 0, resumedBytes: 0, partsDone: 1, partCount: 1 });
    return;
  }
  await uploadParts(api, options.partTransport ?? fetchPartTransport(fetchImpl), created.video.id, blob, { ...options, retry }, report);
}

async function uploadParts(
  api: VidpApi,
  transport: PartTransport,
  videoId: string,
  blob: Blob,
  options: UploadOptions & { retry: RetryPolicy },
  report: (progress: Omit<UploadProgress, 'totalBytes'>) => void,
): Promise<void> {
  const state = await api.getUpload(videoId, options.signal);
  const { part_size: partSize, part_count: partCount } = state;
  const range = (partNumber: number) => {
    const start = (partNumber - 1) * partSize;
    return { start, end: Math.min(start + partSize, blob.size) };
  };
  // A stored part of another size is from another file (or a torn write): it is sent again.
  const etags = new Map<number, string>();
  for (const part of state.parts) {
    const { start, end } = range(part.part_number);
    if (part.part_number <= partCount && part.size === end - start) etags.set(part.part_number, part.etag);
  }
  const pending = Array.from({ length: partCount }, (_, index) => index + 1).filter((number) => !etags.has(number));
  const resumedBytes = [...etags.keys()].reduce((sum, number) => sum + range(number).end - range(number).start, 0);
  let confirmedBytes = resumedBytes;
  let inFlightBytes = 0;
  /** What each part on its way has sent so far: back to 0 when an attempt fails. */
  const partSent = new Map<number, number>();
  const progress = () => {
    const sentBytes = confirmedBytes + [...partSent.values()].reduce((sum, bytes) => sum + bytes, 0);
    report({ sentBytes, confirmedBytes, inFlightBytes, resumedBytes, partsDone: etags.size, partCount });
  };
  progress();

  // The first part that fails for good stops the others: no new part starts, the ones in flight are aborted.
  const stop = new AbortController();
  const signal = options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal]);
  const urls = createPartUrls(api, videoId, pending, signal);
  const limit = pLimit(Math.min(Math.max(1, Math.floor(options.partsInFlight ?? DEFAULT_PARTS_IN_FLIGHT)), MAX_PARTS_IN_FLIGHT));
  const sendPart = async (partNumber: number) => {
    if (signal.aborted) return;
    const { start, end } = range(partNumber);
    const size = end - start;
    inFlightBytes += size;
    progress();
    try {
      const etag = await withRetries(
        async () => {
          const onSent = (bytes: number) => {
            partSent.set(partNumber, Math.min(bytes, size));
            progress();
          };
          try {
            return await putPart(transport, await urls.get(partNumber), blob.slice(start, end), signal, onSent);
          } catch (error) {
            if (partSent.delete(partNumber)) progress();
            if (isExpiredUrl(error)) urls.forget(partNumber);
            throw error;
          }
        },
        options.retry,
        signal,
        (error) => isExpiredUrl(error) || isTransient(error),
      );
      etags.set(partNumber, etag);
      confirmedBytes += size;
    } finally {
      partSent.delete(partNumber);
      inFlightBytes -= size;
    }
    progress();
  };
  try {
    await Promise.all(
      pending.map((partNumber) =>
        limit(() =>
          sendPart(partNumber).catch((error: unknown) => {
            stop.abort();
            throw error;
          }),
        ),
      ),
    );
  } catch (error) {
    limit.clearQueue();
    throw options.signal?.aborted ? new VidpAbortedError() : error;
  }
  const parts = [...etags].sort(([a], [b]) => a - b).map(([part_number, etag]) => ({ part_number, etag }));
  await api.completeUpload(videoId, parts, options.signal);
}

/**
 * Presigned part URLs, asked for a batch at a time just before they are needed (they expire after the API's
 * UPLOAD_URL_TTL_SECONDS, so a long upload must not presign everything up front).
 */
function createPartUrls(api: VidpApi, videoId: string, pending: readonly number[], signal: AbortSignal | undefined) {
  const urls = new Map<number, Promise<{ url: string; expiresAt: number }>>();
  const request = (first: number) => {
    const batch = [first, ...pending.filter((number) => number > first && !urls.has(number)).slice(0, PRESIGN_BATCH - 1)];
    const answer = api.presignParts(videoId, batch, signal);
    for (const number of batch) {
      const entry = answer.then(({ parts, expires_at }) => {
        const part = parts.find((candidate) => candidate.part_number === number);
        if (part === undefined) throw new Error(`The API presigned no URL for part ${number}`);
        return { url: part.url, expiresAt: Date.parse(expires_at) };
      });
      // Awaited only when its part's turn comes: a failed batch must not be an unhandled rejection meanwhile.
      entry.catch(() => undefined);
      urls.set(number, entry);
    }
  };
  return {
    async get(partNumber: number): Promise<string> {
      if (!urls.has(partNumber)) request(partNumber);
      const { url, expiresAt } = await urls.get(partNumber)!;
      if (expiresAt - Date.now() > 5_000) return url;
      urls.delete(partNumber);
      request(partNumber);
      return (await urls.get(partNumber)!).url;
    },
    forget(partNumber: number) {
      urls.delete(partNumber);
    },
  };
}

/** The subtitles file to the presigned POST the API gave for it (a video whose subtitles come from a URL has none). */
export interface SubtitlesUploadOptions {
  filename?: string;
  signal?: AbortSignal;
  retry?: RetryPolicy;
  fetch?: Fetch;
}

export async function uploadSubtitlesFile(created: Pick<CreatedVideo, 'subtitles_upload'>, blob: Blob, options: SubtitlesUploadOptions = {}): Promise<void> {
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const upload = created.subtitles_upload;
  if (upload === undefined) throw new Error('This video takes its subtitles from a URL: there is no subtitles upload');
  const filename = options.filename ?? (blob as Partial<File>).name ?? 'subtitles.srt';
  // The policy pins the content type: the form field says it, whatever type the Blob carries.
  await withRetries(() => postForm(fetchImpl, upload, blob, filename, options.signal), options.retry ?? DEFAULT_RETRY, options.signal);
}
