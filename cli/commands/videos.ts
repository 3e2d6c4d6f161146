import { VIDEO_STATUSES, type VideoStatus } from '../../functions/core/video.ts';
import type { ListFilter, Video } from '../../web/client/index.ts';
import { printJson, type CommandContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { formatVideoList } from '../format.ts';
import { createProgressDisplay } from '../progress.ts';
import { followVideo, printVideo, reportVideo } from './follow.ts';

/** The API pages at most 100 at a time. */
const API_PAGE_LIMIT = 100;

export interface ListOptions {
  status?: VideoStatus;
  sourceVideoId?: string;
  filename?: string;
  limit: number;
  json?: boolean;
}

/**
 * `vidp list`: newest first, following the API's cursors until --limit. The API lists by one index; with
 * no filter the CLI lists each status and merges them (each is newest first, so the first --limit of the
 * merge are the newest of all).
 */
export async function listCommand(context: CommandContext, options: ListOptions): Promise<void> {
  const filters: ListFilter[] = [
    ...(options.status === undefined ? [] : [{ status: options.status }]),
    ...(options.sourceVideoId === undefined ? [] : [{ source_video_id: options.sourceVideoId }]),
    ...(options.filename === undefined ? [] : [{ filename: options.filename }]),
  ];
  if (filters.length > 1) throw new UsageError('conflicting_filters', 'List by one of --status, --source-video-id or --filename, not several');
  const lists = await Promise.all((filters.length === 1 ? filters : VIDEO_STATUSES.map((status) => ({ status }))).map((filter) => listUpTo(context, filter, options.limit)));
  const videos = lists
    .flat()
    .sort((a, b) => b.created_at.localeCompare(a.created_at))
    .slice(0, options.limit);
  if (options.json) printJson(context, videos);
  else context.out(`${formatVideoList(videos)}\n`);
}

async function listUpTo(context: CommandContext, filter: ListFilter, limit: number): Promise<Video[]> {
  const videos: Video[] = [];
  let cursor: string | undefined;
  do {
    const page = await context.client.listVideos(filter, { limit: Math.min(API_PAGE_LIMIT, limit - videos.length), ...(cursor === undefined ? {} : { cursor }) }, context.signal);
    videos.push(...page.videos);
    cursor = page.next_cursor;
  } while (cursor !== undefined && videos.length < limit);
  return videos;
}

export async function getCommand(context: CommandContext, id: string, options: { json?: boolean }): Promise<void> {
  // A failed video is an answer, not an error of `get`: exit 0.
  printVideo(context, await context.client.getVideo(id, context.signal), options);
}

export async function playCommand(context: CommandContext, id: string, options: { open?: boolean }): Promise<void> {
  const { url } = await context.client.playback(id, {}, context.signal);
  context.out(`${url}\n`);
  if (options.open) {
    const { default: open } = await import('open');
    await open(url);
  }
}

export async function deleteCommand(context: CommandContext, id: string): Promise<void> {
  await context.client.deleteVideo(id, context.signal);
  context.out(`Deleted ${id}\n`);
}

export async function retryCommand(context: CommandContext, id: string, options: { wait?: boolean }): Promise<void> {
  const video = await context.client.retryVideo(id, context.signal);
  if (!options.wait) {
    context.out(`Retrying ${id} (${video.status}). Follow it with: vidp get ${id}\n`);
    return;
  }
  const display = createProgressDisplay(context.err, video.filename);
  try {
    const final = await followVideo(context, id, display);
    display.stop();
    reportVideo(context, final, {});
  } finally {
    display.stop();
  }
}
