/**
 * The end of every job, one pass or joined segments: the MP4 is measured (an output shorter than its source
 * fails the job), and once the task token is known to be alive, it goes to videos/ with its subtitle sidecars.
 */
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { S3Client } from '@aws-sdk/client-s3';
import { InputInvalidError } from '../../../functions/core/errors.ts';
import { keys, s3Uri } from '../../../functions/core/keys.ts';
import type { Cue } from '../../../functions/core/subtitles.ts';
import { formatSidecarSrt, formatVtt } from '../../../functions/core/subtitle-sidecars.ts';
import type { TranscodeOutput } from '../../../functions/core/transcode-output.ts';
import type { JobCost, Timings } from '../../../functions/core/video.ts';
import { displayDimensions } from './ffmpeg-command.ts';
import { truncationOf } from './ffmpeg-diagnostics.ts';
import { putText, uploadFile } from './media-storage.ts';
import { probe, type ProbeOptions } from './probe.ts';

export interface PublishedVideo {
  output: Pick<TranscodeOutput, 'duration' | 'width' | 'height' | 'resolution' | 'file_size' | 's3_uri' | 'output_key' | 'subtitle_files' | 'cue_count'>;
  uploadMs: number;
}

export async function publishVideo(
  s3: S3Client,
  job: { bucket: string; videoId: string },
  video: { file: string; sourceDurationSeconds: number | undefined; cues: readonly Cue[] },
  options: { probe: ProbeOptions; checkIn: () => Promise<void>; signal: AbortSignal },
): Promise<PublishedVideo> {
  const { signal } = options;
  const measured = await probe(video.file, 'output', options.probe);
  const truncated = truncationOf(video.sourceDurationSeconds, measured.durationSeconds);
  if (truncated !== undefined) throw new InputInvalidError(truncated);
  const outputSize = displayDimensions(measured.video);
  const { size: fileSize } = await stat(video.file);

  // Nothing is written to videos/ for an execution that was stopped meanwhile (the video deleted, say):
  // a heartbeat now turns a dead task token into an abandoned job before any upload starts.
  await options.checkIn();
  if (signal.aborted) throw signal.reason;

  const outputKey = keys.output(job.videoId);
  const sidecars = { srt: keys.subtitleSidecar(job.videoId, 'srt'), vtt: keys.subtitleSidecar(job.videoId, 'vtt') };
  const uploadStartedAt = performance.now();
  await Promise.all([
    uploadFile(s3, { bucket: job.bucket, key: outputKey, file: video.file, contentType: 'video/mp4', signal }),
    putText(s3, { bucket: job.bucket, key: sidecars.srt, body: formatSidecarSrt(video.cues), contentType: 'application/x-subrip; charset=utf-8', signal }),
    putText(s3, { bucket: job.bucket, key: sidecars.vtt, body: formatVtt(video.cues), contentType: 'text/vtt; charset=utf-8', signal }),
  ]);
  return {
    output: {
      duration: Math.round((measured.durationSeconds ?? 0) * 1000) / 1000,
      width: outputSize.width,
      height: outputSize.height,
      resolution: `${outputSize.width}x${outputSize.height}`,
      file_size: fileSize,
      s3_uri: s3Uri(job.bucket, outputKey),
      output_key: outputKey,
      subtitle_files: { srt: s3Uri(job.bucket, sidecars.srt), vtt: s3Uri(job.bucket, sidecars.vtt) },
      cue_count: video.cues.length,
    },
    uploadMs: Math.round(performance.now() - uploadStartedAt),
  };
}

/** The workflow's output of a finished job. */
export function transcodeOutput(published: PublishedVideo, timings: Timings, cost: JobCost): TranscodeOutput {
  return { ...published.output, timings, cost, finished_at: new Date().toISOString() };
}
