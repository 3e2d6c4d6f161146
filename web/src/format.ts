import { formatBytes } from '../client/index.ts';

/**
 * Figures as the page shows them. Sizes and times left are web/client's (the CLI's too, so both read alike);
 * the rate, step durations and dates are the page's own.
 */
export { formatBytes, formatSeconds } from '../client/index.ts';

export function formatRate(bytesPerSecond: number | undefined): string {
  return bytesPerSecond === undefined ? '—' : `${formatBytes(bytesPerSecond)}/s`;
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
