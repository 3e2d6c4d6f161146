import { VidpAbortedError, type Video, type VidpClient } from '../client/index.ts';
import { byId, h } from './dom.ts';
import { errorMessage } from './error-message.ts';
import { formatBytes, formatDate } from './format.ts';
import type { TraceConfig } from './site-config.ts';
import { renderTrace } from './trace-view.ts';

const TRACE_POLL_MS = 1_000;

const STATUS_TEXT: Record<Video['status'], string> = {
  awaiting_upload: 'Awaiting upload',
  queued: 'Queued',
  processing: 'Processing',
  saved: 'Saved',
  failed: 'Failed',
};

export function statusBadge(status: Video['status']): HTMLElement {
  return h('span', { class: `badge ${status}` }, STATUS_TEXT[status]);
}

/**
 * One video: its live status (polled until saved or failed), the failure's reason with a retry button, the
 * player on the presigned playback URL, the download and sidecar subtitle links, and the execution trace.
 */
export function createVideoView(options: { client: () => VidpClient; trace: TraceConfig; onChanged(): void }) {
  const section = byId('video-section');
  const heading = byId('video-heading');
  const status = byId('video-status');
  const player = byId('video-player');
  const details = byId('video-details');
  const traceBody = byId('trace-body');
  let following: AbortController | undefined;
  let shownId: string | undefined;
  /** The player is built once per saved video: re-rendering it on every poll would restart playback. */
  let playerFor: string | undefined;

  async function open(id: string, { focus = false } = {}): Promise<void> {
    following?.abort();
    const controller = new AbortController();
    following = controller;
    if (shownId !== id) {
      shownId = id;
      playerFor = undefined;
      player.replaceChildren();
      details.replaceChildren();
      status.replaceChildren(h('p', {}, 'Loading…'));
      traceBody.replaceChildren(h('p', { class: 'help' }, 'The workflow has not started yet.'));
    }
    section.hidden = false;
    history.replaceState(null, '', `#video=${encodeURIComponent(id)}`);
    if (focus) heading.focus();
    try {
      const final = await options.client().waitForVideo(id, { signal: controller.signal, onChange: (video) => void render(video, controller.signal) });
      options.onChanged();
      // The record is final a few states before the execution is (clean-up, the event): follow the trace to its end.
      if (final.execution_id !== undefined) await followTrace(final.execution_id, controller.signal);
    } catch (error) {
      if (error instanceof VidpAbortedError) return;
      status.replaceChildren(h('p', { class: 'error', role: 'alert' }, errorMessage(error)));
    }
  }

  async function render(video: Video, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    heading.textContent = `Video: ${video.filename}`;
    status.replaceChildren(...statusLines(video));
    if (video.status === 'saved' && video.playback_url !== undefined && playerFor !== video.id) {
      playerFor = video.id;
      player.replaceChildren(...playerOf(video));
    }
    details.replaceChildren(detailsOf(video));
    if (video.execution_id !== undefined) await showTrace(video.execution_id, signal);
  }

  /** Renders the trace; true once the execution has ended (or there is nothing more to learn). */
  async function showTrace(executionId: string, signal: AbortSignal): Promise<boolean> {
    try {
      const { element, finished } = await renderTrace(options.trace, executionId, signal);
      if (!signal.aborted) traceBody.replaceChildren(element);
      return finished;
    } catch (error) {
      if (!signal.aborted) traceBody.replaceChildren(h('p', { class: 'error' }, errorMessage(error)));
      return true;
    }
  }

  async function followTrace(executionId: string, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !(await showTrace(executionId, signal))) {
      await new Promise((resolve) => setTimeout(resolve, TRACE_POLL_MS));
    }
  }

  function statusLines(video: Video): Node[] {
    const lines: Node[] = [h('p', {}, 'Status: ', statusBadge(video.status))];
    if (video.status === 'processing') {
      const percent = Math.round(video.progress ?? 0);
      lines.push(
        h('progress', { max: 100, value: percent, 'aria-label': 'Processing', 'aria-valuetext': `${percent} %` }),
        h('p', {}, `Processing: ${percent} %${(video.segment_count ?? 1) > 1 ? `, in ${video.segment_count} segments at once` : ''}`),
      );
    }
    if (video.status === 'awaiting_upload') lines.push(h('p', {}, 'Waiting for the upload to finish.'));
    if (video.status === 'queued') lines.push(h('p', {}, 'Waiting for a worker to start on it.'));
    if (video.status === 'failed') {
      const retry = h('button', { type: 'button' }, 'Retry');
      retry.addEventListener('click', () => void retryVideo(video.id, retry));
      lines.push(
        h('p', { class: 'error', role: 'alert' }, `Failed: ${video.error?.message ?? 'no reason was recorded'}`),
        ...(video.error?.code === undefined ? [] : [h('p', { class: 'help' }, `Error code: ${video.error.code}`)]),
        h('div', { class: 'actions' }, retry),
      );
    }
    return lines;
  }

  async function retryVideo(id: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      await options.client().retryVideo(id);
      options.onChanged();
      await open(id);
    } catch (error) {
      button.disabled = false;
      status.append(h('p', { class: 'error', role: 'alert' }, errorMessage(error)));
    }
  }

  return { open };
}

function playerOf(video: Video): Node[] {
  const media = h('video', { controls: true, preload: 'metadata', src: video.playback_url, 'aria-label': `Playback of ${video.filename}` });
  const links = h(
    'ul',
    { class: 'links' },
    h('li', {}, h('a', { href: video.playback_url, download: `${video.filename.replace(/\.[^.]+$/, '')}.mp4` }, 'Download the MP4')),
    ...(video.subtitle_urls === undefined
      ? []
      : [
          h('li', {}, h('a', { href: video.subtitle_urls.srt }, 'Subtitles as SRT')),
          h('li', {}, h('a', { href: video.subtitle_urls.vtt }, 'Subtitles as WebVTT')),
        ]),
  );
  return [media, links, h('p', { class: 'help' }, 'These links are signed for a limited time; reopen the video for fresh ones.')];
}

function detailsOf(video: Video): HTMLElement {
  const rows: [string, string | undefined][] = [
    ['Id', video.id],
    ['Created', formatDate(video.created_at)],
    ['Requested', `${video.target_resolution}, CRF ${video.crf}, preset ${video.preset}`],
    ['Resolution', video.resolution],
    ['Duration', video.duration === undefined ? undefined : `${video.duration.toFixed(1)} s`],
    ['Size', video.file_size === undefined ? undefined : formatBytes(video.file_size)],
    ['Subtitles', video.subtitles.source === 'url' ? `from ${video.subtitles.url}` : 'uploaded file'],
    ['Notes', video.warnings?.join(' · ')],
  ];
  return h(
    'dl',
    { class: 'details' },
    ...rows.filter(([, value]) => value !== undefined).flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value!)]),
  );
}
