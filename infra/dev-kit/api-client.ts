import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import {
  createVidpClient,
  presignedPostForm,
  uploadSubtitlesFile,
  VidpAbortedError,
  VidpApiError,
  type CreatedVideo,
  type CreateVideoRequest,
  type Video,
  type VidpClient,
} from '../../web/client/index.ts';

/**
 * What the demo, the integration and end-to-end tests and the benchmark use to talk to vidp: the CLI's and
 * the page's own client (web/client), with file paths instead of Blobs. It knows only the public HTTP contract.
 */
export type { CreatedVideo };
export { VidpApiError as ApiError };
/** The client, taking any create request: tests send what the API must refuse, too. */
export type ApiClient = Omit<VidpClient, 'createVideo'> & { createVideo(request: Record<string, unknown>): Promise<CreatedVideo> };

export function createApiClient(apiUrl: string): ApiClient {
  const client = createVidpClient({ apiUrl });
  return { ...client, createVideo: (request) => client.createVideo(request as CreateVideoRequest) };
}

type PresignedPost = { url: string; fields: Record<string, string> };

const fileBlob = (filePath: string, type?: string) => openAsBlob(filePath, type === undefined ? {} : { type });

/**
 * One presigned POST, with S3's answer kept whole in the error: tests of what S3 refuses (a policy, an IAM
 * grant) read its XML. Not retried, unlike the client's uploads.
 */
export async function uploadWithPresignedPost(upload: PresignedPost, filePath: string): Promise<void> {
  const file = await fileBlob(filePath, upload.fields['Content-Type']);
  const response = await fetch(upload.url, { method: 'POST', body: presignedPostForm(upload, file, basename(filePath)) });
  if (!response.ok) {
    throw new Error(`Upload of ${basename(filePath)} failed: ${response.status} ${await response.text()}`);
  }
}

/** The subtitles file, to the presigned POST the API gave for it. */
export async function uploadSubtitles(created: CreatedVideo, filePath: string): Promise<void> {
  if (created.subtitles_upload === undefined) throw new Error('This video takes its subtitles from a URL: nothing to upload');
  await uploadSubtitlesFile(created, await fileBlob(filePath), { filename: basename(filePath) });
}

/** The video, the way the API asked for it: one presigned POST, or its parts a few at a time, then the completion. */
export async function uploadVideo(client: ApiClient, created: CreatedVideo, filePath: string, parallelParts = 4): Promise<void> {
  await client.uploadFile(created, await fileBlob(filePath), { filename: basename(filePath), partsInFlight: parallelParts });
}

/** Polls until the video is saved or failed, telling `onChange` about every status or progress change. */
export async function waitForFinalStatus(
  client: ApiClient,
  id: string,
  options: { timeoutMs: number; intervalMs?: number; onChange?: (video: Video) => void },
): Promise<Video> {
  let last: Video | undefined;
  try {
    return await client.waitForVideo(id, {
      intervalMs: options.intervalMs ?? 250,
      signal: AbortSignal.timeout(options.timeoutMs),
      onChange: (video) => {
        last = video;
        options.onChange?.(video);
      },
    });
  } catch (error) {
    if (error instanceof VidpAbortedError) throw new Error(`Video ${id} still ${last?.status ?? 'unknown'} after ${options.timeoutMs} ms`);
    throw error;
  }
}
