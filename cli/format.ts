import { formatBytes, type Video } from '../web/client/index.ts';

/** What the CLI prints for people: a video, a list of them. */
export function formatVideo(video: Video): string {
  const rows: [string, string | undefined][] = [
    ['id', video.id],
    ['filename', video.filename],
    ['status', video.status === 'processing' && video.progress !== undefined ? `processing (${Math.floor(video.progress)} %)` : video.status],
    ['error', video.error === undefined ? undefined : `${video.error.code}: ${video.error.message}`],
    ['output', [video.resolution ?? `target ${video.target_resolution}`, `crf ${video.crf}`, `preset ${video.preset}`].join(', ')],
    ['duration', video.duration === undefined ? undefined : `${video.duration.toFixed(1)} s`],
    // A long video encoded as parallel segments (one pass otherwise: not worth a line).
    ['segments', (video.segment_count ?? 1) > 1 ? `${video.segment_count}, encoded at once` : undefined],
    ['size', video.file_size === undefined ? undefined : formatBytes(video.file_size)],
    ['subtitles', video.subtitles.source === 'url' ? video.subtitles.url : 'uploaded'],
    ['source id', video.source_video_id],
    ['title', video.title],
    ['warnings', video.warnings?.join('; ')],
    ['created', video.created_at],
    ['updated', video.updated_at],
    ['execution', video.execution_id],
    ['playback', video.playback_url],
  ];
  return rows
    .filter((row): row is [string, string] => row[1] !== undefined && row[1] !== '')
    .map(([name, value]) => `${name.padEnd(10)} ${value}`)
    .join('\n');
}

export function formatVideoList(videos: readonly Video[]): string {
  if (videos.length === 0) return 'No videos.';
  const rows = [['ID', 'STATUS', 'CREATED', 'FILENAME'], ...videos.map((video) => [video.id, statusOf(video), video.created_at, video.filename])];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell)).join('  ')).join('\n');
}

function statusOf(video: Video): string {
  if (video.status === 'failed' && video.error !== undefined) return `failed:${video.error.code}`;
  if (video.status === 'processing' && video.progress !== undefined) return `processing ${Math.floor(video.progress)}%`;
  return video.status;
}
