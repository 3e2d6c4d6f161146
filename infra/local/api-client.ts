import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import type { PresignedPostUpload } from '../../functions/core/storage.ts';
import type { PublicVideo } from '../../functions/core/video.ts';

/**
 * A client of the vidp REST API that does what a browser does: create the video, upload the files
 * straight to S3 with the presigned POSTs, poll until the video is saved or failed.
 * Used by the demo, the end-to-end tests and the benchmark; it knows only the public HTTP contract.
 */
export interface CreatedVideo {
  video: PublicVideo;
  upload: PresignedPostUpload;
  subtitles_upload: PresignedPostUpload;
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
