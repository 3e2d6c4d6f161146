import type { Video, VidpApi } from './api.ts';
import { VidpAbortedError, VidpApiError, VidpUnreachableError } from './errors.ts';

export const FINAL_STATUSES: ReadonlySet<string> = new Set(['saved', 'failed']);

export interface WaitOptions {
  /** Time between polls (default 1 s). */
  intervalMs?: number;
  /** Told about every change of status or progress, the first answer included. */
  onChange?: (video: Video) => void;
  signal?: AbortSignal;
  /** Polls that may fail in a row (no answer, or a 5xx) before the wait gives up with that error (default 5). */
  toleratedFailures?: number;
}

/** Polls the video until it is saved or failed, and returns it as it then is. */
export async function waitForVideo(api: VidpApi, id: string, options: WaitOptions = {}): Promise<Video> {
  const intervalMs = options.intervalMs ?? 1_000;
  let last = '';
  let failures = 0;
  for (;;) {
    let video: Video | undefined;
    try {
      video = await api.getVideo(id, options.signal);
      failures = 0;
    } catch (error) {
      const transient = error instanceof VidpUnreachableError || (error instanceof VidpApiError && error.status >= 500);
      failures += 1;
      if (!transient || failures > (options.toleratedFailures ?? 5)) throw error;
    }
    if (video !== undefined) {
      const signature = `${video.status}:${video.progress ?? ''}`;
      if (signature !== last) {
        last = signature;
        options.onChange?.(video);
      }
      if (FINAL_STATUSES.has(video.status)) return video;
    }
    await delay(intervalMs, options.signal);
  }
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new VidpAbortedError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new VidpAbortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
