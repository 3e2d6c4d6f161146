import { VidpAbortedError, type Video } from '../../web/client/index.ts';
import { printJson, type CommandContext } from '../context.ts';
import { InterruptedError, JobFailedError } from '../errors.ts';
import { formatVideo } from '../format.ts';
import type { ProgressDisplay } from '../progress.ts';

/** How often --wait asks for the record: progress moves in whole percents, a second is plenty. */
const POLL_INTERVAL_MS = 1_000;

/** Follows a video to saved or failed (--wait), showing each status change and the processing percentage. */
export async function followVideo(context: CommandContext, id: string, display: ProgressDisplay): Promise<Video> {
  try {
    const intervalMs = Number(context.env.VIDP_POLL_INTERVAL_MS) || POLL_INTERVAL_MS;
    return await context.client.waitForVideo(id, { intervalMs, signal: context.signal, onChange: (video) => display.video(video) });
  } catch (error) {
    if (error instanceof VidpAbortedError) {
      throw new InterruptedError('interrupted', `Stopped waiting; video ${id} goes on processing. Follow it with: vidp get ${id}`);
    }
    throw error;
  }
}

/** The record on stdout: as one JSON document, or as text. */
export function printVideo(context: CommandContext, video: Video, options: { json?: boolean }): void {
  if (options.json) printJson(context, video);
  else context.out(`${formatVideo(video)}\n`);
}

/** The outcome of a job the command ran: printed, and a failed job ends the run with exit 1. */
export function reportVideo(context: CommandContext, video: Video, options: { json?: boolean }): void {
  printVideo(context, video, options);
  if (video.status === 'failed') {
    throw new JobFailedError(video.error?.code ?? 'failed', video.error?.message ?? 'The job failed');
  }
}
