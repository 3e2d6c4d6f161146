import type { z } from 'zod';
import type {
  CreateUploadRequestSchema,
  CreateVideoResponseSchema,
  ListVideosResponseSchema,
  PlaybackResponseSchema,
  UploadPartsResponseSchema,
  UploadStateResponseSchema,
  VideoSchema,
} from '../../functions/api/contract.ts';
import type { VideoStatus } from '../../functions/core/video.ts';
import { apiErrorOf, send, type Fetch } from './http.ts';

/*
 * The vidp REST API as typed calls. Types come from the API's own zod schemas (type-only imports: nothing
 * of zod or the handlers reaches a bundle), so the client cannot drift from what the handlers answer.
 */
export type Video = z.infer<typeof VideoSchema>;
export type CreateVideoRequest = z.input<typeof CreateUploadRequestSchema>;
export type CreatedVideo = z.infer<typeof CreateVideoResponseSchema>;
export type VideoList = z.infer<typeof ListVideosResponseSchema>;
export type Playback = z.infer<typeof PlaybackResponseSchema>;
export type UploadState = z.infer<typeof UploadStateResponseSchema>;
export type PresignedParts = z.infer<typeof UploadPartsResponseSchema>;

/** Exactly one index to list by, as the API requires. */
export type ListFilter = { status: VideoStatus } | { source_video_id: string } | { filename: string };

export interface ApiOptions {
  /** Base URL of the API, e.g. http://127.0.0.1:3000/api or /api on the page's own origin. */
  apiUrl: string;
  /** Sent as x-api-key when the deployment requires one. */
  apiKey?: string;
  fetch?: Fetch;
}

export function createApi(options: ApiOptions) {
  const base = options.apiUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));

  async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.apiKey !== undefined && options.apiKey !== '') headers['x-api-key'] = options.apiKey;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await send(fetchImpl, `${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal === undefined ? {} : { signal }),
    });
    if (!response.ok) throw await apiErrorOf(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }
  const video = (id: string) => `/videos/${encodeURIComponent(id)}`;

  return {
    apiUrl: base,
    createVideo: (request: CreateVideoRequest, signal?: AbortSignal) => call<CreatedVideo>('POST', '/videos', request, signal),
    getVideo: (id: string, signal?: AbortSignal) => call<Video>('GET', video(id), undefined, signal),
    listVideos: (filter: ListFilter, page: { limit?: number; cursor?: string } = {}, signal?: AbortSignal) => {
      const query = new URLSearchParams(filter as Record<string, string>);
      if (page.limit !== undefined) query.set('limit', String(page.limit));
      if (page.cursor !== undefined) query.set('cursor', page.cursor);
      return call<VideoList>('GET', `/videos?${query.toString()}`, undefined, signal);
    },
    deleteVideo: (id: string, signal?: AbortSignal) => call<void>('DELETE', video(id), undefined, signal),
    retryVideo: (id: string, signal?: AbortSignal) => call<Video>('POST', `${video(id)}/retry`, undefined, signal),
    playback: (id: string, options: { expiresIn?: number } = {}, signal?: AbortSignal) =>
      call<Playback>('GET', `${video(id)}/playback${options.expiresIn === undefined ? '' : `?expires_in=${options.expiresIn}`}`, undefined, signal),
    getUpload: (id: string, signal?: AbortSignal) => call<UploadState>('GET', `${video(id)}/upload`, undefined, signal),
    presignParts: (id: string, partNumbers: number[], signal?: AbortSignal) =>
      call<PresignedParts>('POST', `${video(id)}/upload/parts`, { part_numbers: partNumbers }, signal),
    completeUpload: (id: string, parts: { part_number: number; etag: string }[], signal?: AbortSignal) =>
      call<Video>('POST', `${video(id)}/upload/complete`, { parts }, signal),
    abortUpload: (id: string, signal?: AbortSignal) => call<void>('DELETE', `${video(id)}/upload`, undefined, signal),
  };
}
export type VidpApi = ReturnType<typeof createApi>;
