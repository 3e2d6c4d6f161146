import { openAsBlob } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { MultipartUploadInfo } from '../../functions/core/create-upload.ts';
import type { PresignedPostUpload } from '../../functions/core/storage.ts';
import type { PublicVideo } from '../../functions/core/video.ts';

/**
 * A client of the vidp REST API that does what a browser does: create the video, upload the files
 * straight to S3 with the presigned POSTs, poll until the video is saved or failed.
 * Used by the demo, the end-to-end tests and the benchmark; it knows only the public HTTP contract.
 */
export interface CreatedVideo {
  video: PublicVideo;
  upload: PresignedPostUpload | MultipartUploadInfo;
  /** Absent when the subtitles come from a URL. */
  subtitles_upload?: PresignedPostUpload;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${status} ${code}: ${message}`);
  }
}

export function createApiClient(apiUrl: string) {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const payload = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string } };
    if (!response.ok) {
      throw new ApiError(response.status, payload.error?.code ?? 'unknown', payload.error?.message ?? response.statusText);
    }
    return payload as T;
  }

  return {
    createVideo: (request: Record<string, unknown>) => call<CreatedVideo>('POST', '/videos', request),
    getVideo: (id: string) => call<PublicVideo & { playback_url?: string }>('GET', `/videos/${id}`),
    presignParts: (id: string, partNumbers: number[]) =>
      call<{ parts: { part_number: number; url: string }[] }>('POST', `/videos/${id}/upload/parts`, { part_numbers: partNumbers }),
    completeUpload: (id: string, parts: { part_number: number; etag: string }[]) =>
      call<PublicVideo>('POST', `/videos/${id}/upload/complete`, { parts }),
  };
}
export type ApiClient = ReturnType<typeof createApiClient>;

/** Uploads a file the way an HTML form does: the policy fields first, the file last. */
export async function uploadWithPresignedPost(upload: PresignedPostUpload, filePath: string): Promise<void> {
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  const file = await openAsBlob(filePath, { type: upload.fields['Content-Type'] ?? 'application/octet-stream' });
  form.append('file', file, basename(filePath));
  const response = await fetch(upload.url, { method: 'POST', body: form });
  if (!response.ok) {
    throw new Error(`Upload of ${basename(filePath)} failed: ${response.status} ${await response.text()}`);
  }
}

/** The subtitles file, to the presigned POST the API gave for it. */
export async function uploadSubtitles(created: CreatedVideo, filePath: string): Promise<void> {
  if (created.subtitles_upload === undefined) throw new Error('This video takes its subtitles from a URL: nothing to upload');
  await uploadWithPresignedPost(created.subtitles_upload, filePath);
}

/**
 * The video, the way the API asked for it: one presigned POST, or its parts (a few at a time, each to its
 * own presigned URL) and then the completion that assembles them.
 */
export async function uploadVideo(client: ApiClient, created: CreatedVideo, filePath: string, parallelParts = 4): Promise<void> {
  if (created.upload.method === 'POST') return uploadWithPresignedPost(created.upload, filePath);
  const { part_size: partSize, part_count: partCount } = created.upload;
  const file = await open(filePath, 'r');
  try {
    const pending = Array.from({ length: partCount }, (_, index) => index + 1);
    const uploaded: { part_number: number; etag: string }[] = [];
    while (pending.length > 0) {
      const batch = pending.splice(0, parallelParts);
      const { parts } = await client.presignParts(created.video.id, batch);
      await Promise.all(
        parts.map(async ({ part_number: partNumber, url }) => {
          const body = Buffer.alloc(partSize);
          const { bytesRead } = await file.read(body, 0, partSize, (partNumber - 1) * partSize);
          const response = await fetch(url, { method: 'PUT', body: body.subarray(0, bytesRead) });
          if (!response.ok) throw new Error(`Part ${partNumber} failed: ${response.status} ${await response.text()}`);
          uploaded.push({ part_number: partNumber, etag: response.headers.get('etag') ?? '' });
        }),
      );
    }
    await client.completeUpload(created.video.id, uploaded);
  } finally {
    await file.close();
  }
}

const FINAL_STATUSES = new Set(['saved', 'failed']);

/** Polls until the video is saved or failed, telling `onChange` about every status or progress change. */
export async function waitForFinalStatus(
  client: ApiClient,
  id: string,
  options: { timeoutMs: number; intervalMs?: number; onChange?: (video: PublicVideo) => void },
): Promise<PublicVideo & { playback_url?: string }> {
  const deadline = Date.now() + options.timeoutMs;
  let last = '';
  for (;;) {
    const video = await client.getVideo(id);
    const signature = `${video.status}:${video.progress ?? ''}`;
    if (signature !== last) {
      last = signature;
      options.onChange?.(video);
    }
    if (FINAL_STATUSES.has(video.status)) return video;
    if (Date.now() > deadline) {
      throw new Error(`Video ${id} still ${video.status} after ${options.timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}
