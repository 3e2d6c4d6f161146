import type { Video } from '../web/client/index.ts';

/** What the CLI prints for people: sizes, durations, a video, a list of them. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatSeconds(seconds: number): string {
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export function formatVideo(video: Video): string {
  const rows: [string, string | undefined][] = [
    ['id', video.id],
    ['filename', video.filename],
    ['status', video.status === 'processing' && video.progress !== undefined ? `processing (${Math.floor(video.progress)} %)` : video.status],
    ['error', video.error === undefined ? undefined : `${video.error.code}: ${video.error.message}`],
    ['output', [video.resolution ?? `target ${video.target_resolution}`, `crf ${video.crf}`, `preset ${video.preset}`].join(', ')],
    ['duration', video.duration === undefined ? undefined : `${video.duration.toFixed(1)} s`],
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
