import { randomUUID } from 'node:crypto';
import {
  fingerprintFile,
  VidpAbortedError,
  VidpApiError,
  type CreatedVideo,
  type CreateVideoRequest,
  type UploadProgress,
} from '../../web/client/index.ts';
import type { Resolution, X264Preset } from '../../functions/core/video.ts';
import type { CommandContext } from '../context.ts';
import { InterruptedError, UsageError } from '../errors.ts';
import { openLocalFile, openVideoFile, type LocalFile } from '../local-files.ts';
import { streamingPartTransport } from '../part-transport.ts';
import { createProgressDisplay, type ProgressDisplay } from '../progress.ts';
import { cacheDirectory, createResumeStore } from '../resume-store.ts';
import { followVideo, reportVideo } from './follow.ts';

export interface UploadOptions {
  srt?: string;
  srtUrl?: string;
  resolution?: Resolution;
  crf?: number;
  preset?: X264Preset;
  wait?: boolean;
  json?: boolean;
}

/**
 * `vidp upload VIDEO`: create the video, send the subtitles then the video straight to S3 (the video landing
 * starts the workflow), and with --wait follow it to saved or failed. Re-running it for the same file (same
 * name, size, time and first and last MiB) with the same settings resumes an unfinished upload.
 */
export async function uploadCommand(context: CommandContext, videoPath: string, options: UploadOptions): Promise<void> {
  if (options.srt === undefined && options.srtUrl === undefined) {
    throw new UsageError('missing_subtitles', 'Give the subtitles: --srt FILE or --srt-url URL');
  }
  const video = await openVideoFile(videoPath);
  const subtitles = options.srt === undefined ? undefined : await openLocalFile(options.srt, 'Subtitles file');
  const request: CreateVideoRequest = {
    filename: video.name,
    content_type: video.contentType,
    size: video.size,
    ...(options.resolution === undefined ? {} : { resolution: options.resolution }),
    ...(options.crf === undefined ? {} : { crf: options.crf }),
    ...(options.preset === undefined ? {} : { preset: options.preset }),
    subtitles: options.srtUrl === undefined ? { source: 'upload' } : { source: 'url', url: options.srtUrl },
  };
  const display = createProgressDisplay(context.err, video.name);
  try {
    const id = await sendVideo(context, video, subtitles, request, display);
    const result = options.wait ? await followVideo(context, id, display) : await context.client.getVideo(id, context.signal);
    display.stop();
    if (!options.wait && !options.json) context.err.write(`Follow it with: vidp get ${id}\n`);
    reportVideo(context, result, options);
  } finally {
    display.stop();
  }
}

/** Creates (or, resuming, re-creates with the same client_token) the video and uploads its files; returns its id. */
async function sendVideo(
  context: CommandContext,
  video: LocalFile,
  subtitles: LocalFile | undefined,
  request: CreateVideoRequest,
  display: ProgressDisplay,
): Promise<string> {
  const store = createResumeStore(cacheDirectory(context.env), context.apiUrl);
  const fingerprint = await fingerprintFile(video.blob, { name: video.name, lastModified: video.lastModified });
  const settings = JSON.stringify(request);
  const previous = await store.find(fingerprint);
  const resuming = previous !== undefined && previous.settings === settings;
  if (previous !== undefined && !resuming) {
    display.note(`An unfinished upload of this file with other settings is kept as video ${previous.video_id} (vidp delete ${previous.video_id} discards it); starting a new one.`);
  }
  const outcome = await createOrResume(context, request, resuming ? previous.client_token : undefined);
  if ('doneId' in outcome) {
    await store.remove(fingerprint);
    display.note(outcome.note);
    return outcome.doneId;
  }
  const { created, clientToken } = outcome;
  const id = created.video.id;
  await store.save(fingerprint, { video_id: id, client_token: clientToken, settings, file: video.path, created_at: new Date().toISOString() });

  let last: UploadProgress | undefined;
  try {
    if (subtitles !== undefined) await context.client.uploadSubtitles(created, subtitles.blob, { filename: subtitles.name, signal: context.signal });
    await context.client.uploadFile(created, video.blob, {
      filename: video.name,
      signal: context.signal,
      partsInFlight: Number(context.env.VIDP_PARTS_IN_FLIGHT) || undefined,
      partTransport: streamingPartTransport,
      onProgress: (progress) => {
        last = progress;
        display.upload(progress);
      },
    });
  } catch (error) {
    if (error instanceof VidpAbortedError) throw interrupted(id, video, created, last);
    throw error;
  }
  await store.remove(fingerprint);
  return id;
}

/** Uploads that ended without the file: resuming them is not possible, the file goes up as a new video. */
const UPLOAD_GONE = new Set(['upload_aborted', 'upload_expired']);

/**
 * The create request, with the client_token of an earlier run when resuming: the API then hands back the same
 * video and multipart upload. If that video is past its upload, an earlier run finished it (and was stopped
 * before it could say so): `doneId`. If its upload was aborted or expired, a new video is created.
 */
async function createOrResume(
  context: CommandContext,
  request: CreateVideoRequest,
  resumeToken: string | undefined,
): Promise<{ created: CreatedVideo; clientToken: string } | { doneId: string; note: string }> {
  const clientToken = resumeToken ?? randomUUID();
  try {
    return { created: await context.client.createVideo({ ...request, client_token: clientToken }, context.signal), clientToken };
  } catch (error) {
    const details = error instanceof VidpApiError && error.code === 'conflict' ? (error.details as { video_id?: unknown } | undefined) : undefined;
    if (resumeToken === undefined || typeof details?.video_id !== 'string') throw error;
    const earlier = await context.client.getVideo(details.video_id, context.signal);
    if (earlier.status === 'failed' && UPLOAD_GONE.has(earlier.error?.code ?? '')) return createOrResume(context, request, undefined);
    return { doneId: earlier.id, note: `The upload of ${request.filename} was already complete (video ${earlier.id}, ${earlier.status}).` };
  }
}

/**
 * Ctrl-C leaves a multipart upload resumable rather than aborting it: the parts already in S3 are the
 * expensive part of a large upload, and the bucket's lifecycle rule (and the cleanup) remove an abandoned
 * one after a day. The message says both ways on.
 */
function interrupted(id: string, video: LocalFile, created: CreatedVideo, last: UploadProgress | undefined): InterruptedError {
  const kept =
    created.upload.method === 'MULTIPART' && last !== undefined
      ? `${last.partsDone} of ${last.partCount} parts of ${video.name} are in S3`
      : `nothing of ${video.name} was stored yet`;
  return new InterruptedError(
    'interrupted',
    `${kept}; video ${id} waits for its upload.\n` +
      `  Resume: run the same vidp upload command again (parts already uploaded are not sent again)\n` +
      `  Discard: vidp delete ${id}`,
  );
}
