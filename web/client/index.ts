import { createApi, type ApiOptions, type CreatedVideo } from './api.ts';
import { uploadFile, uploadSubtitlesFile, type SubtitlesUploadOptions, type UploadOptions } from './upload.ts';
import { waitForVideo, type WaitOptions } from './wait.ts';

/**
 * The one vidp API and upload client, used by the CLI (Node: a file is `fs.openAsBlob`) and by the page
 * (a File is a Blob). Platform-neutral on purpose: fetch, Blob, AbortSignal, crypto.subtle and timers only.
 */
export function createVidpClient(options: ApiOptions) {
  const api = createApi(options);
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  return {
    ...api,
    uploadFile: (created: Pick<CreatedVideo, 'video' | 'upload'>, blob: Blob, uploadOptions?: UploadOptions) =>
      uploadFile(api, fetchImpl, created, blob, uploadOptions),
    uploadSubtitles: (created: Pick<CreatedVideo, 'subtitles_upload'>, blob: Blob, subtitleOptions?: Omit<SubtitlesUploadOptions, 'fetch'>) =>
      uploadSubtitlesFile(created, blob, { ...subtitleOptions, fetch: fetchImpl }),
    waitForVideo: (id: string, waitOptions?: WaitOptions) => waitForVideo(api, id, waitOptions),
  };
}
export type VidpClient = ReturnType<typeof createVidpClient>;

export type { ApiOptions, CreatedVideo, CreateVideoRequest, ListFilter, Playback, UploadState, Video, VideoList } from './api.ts';
export { VidpAbortedError, VidpApiError, VidpClientError, VidpStorageError, VidpUnreachableError } from './errors.ts';
export { fingerprintFile, type FileIdentity } from './fingerprint.ts';
export { formatBytes, formatSeconds } from './format.ts';
export { createTransferRate, type TransferRate } from './transfer-rate.ts';
export {
  DEFAULT_PARTS_IN_FLIGHT,
  MAX_PARTS_IN_FLIGHT,
  uploadSubtitlesFile,
  type SubtitlesUploadOptions,
  type UploadOptions,
  type UploadProgress,
} from './upload.ts';
export { DEFAULT_RETRY, presignedPostForm, type FormTransport, type PartTransport, type RetryPolicy } from './storage.ts';
export { FINAL_STATUSES, type WaitOptions } from './wait.ts';
export { SOURCE_EXTENSIONS, sourceContentTypeOf, sourceExtensionOf } from '../../functions/core/source-media.ts';
