import { decodeCursor, encodeCursor } from './cursor.ts';
import { VIDEO_INDEXES, type VideoIndexName, type VideoRepository } from './video-repository.ts';
import { toPublicVideo } from './video.ts';

/** Each way to list uses one index of the table; all are newest first. */
const INDEX_BY_FILTER = {
  status: VIDEO_INDEXES.byStatus,
  source_video_id: VIDEO_INDEXES.bySourceVideoId,
  filename: VIDEO_INDEXES.byFilename,
} as const satisfies Record<string, VideoIndexName>;

export interface ListVideosRequest {
  by: keyof typeof INDEX_BY_FILTER;
  value: string;
  limit: number;
  cursor?: string;
}

export async function listVideos(request: ListVideosRequest, deps: { repository: VideoRepository; cursorSecret: string }) {
  const index = INDEX_BY_FILTER[request.by];
  // A cursor is only valid for the query it was issued for (same index, same value).
  const query = `${request.by}=${request.value}`;
  const startKey = request.cursor === undefined ? undefined : decodeCursor(request.cursor, query, deps.cursorSecret);
  const page = await deps.repository.listByIndex({
    index,
    value: request.value,
    limit: request.limit,
    ...(startKey === undefined ? {} : { startKey }),
  });
  return {
    videos: page.videos.map((record) => toPublicVideo(record)),
    ...(page.nextStartKey === undefined ? {} : { next_cursor: encodeCursor(page.nextStartKey, query, deps.cursorSecret) }),
  };
}
