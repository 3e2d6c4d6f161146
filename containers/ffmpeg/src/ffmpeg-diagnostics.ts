/**
 * Why an encode went wrong, told from what ffmpeg printed and from what came out, in words for the record.
 */

/**
 * What an ffmpeg failure was about, from the last lines of its stderr (found by experiment, FFmpeg 5.1):
 * - `input`: the source cannot be decoded to its end — a truncated MP4 whose index promises more than the
 *   file holds (`Invalid NAL unit size`, `Error splitting the input into NAL units`, `partial file`),
 *   corrupt packets, invalid data. With `-xerror` these end the run.
 * - `storage`: reading the source over HTTP failed for good (5xx after the reconnects, connection errors).
 * - `changed`: S3 answered 412 to a read pinned with If-Match: the upload was written over mid-encode.
 * - `encoder`: anything else (our command, the encoder, the disk): a transcode_failed.
 */
export type FfmpegFailureKind = 'input' | 'storage' | 'changed' | 'encoder';

const INPUT_ERRORS =
  /Invalid NAL unit|Error splitting the input|partial file|Invalid data found|error while decoding|corrupt|missing picture|moov atom not found|Packet mismatch|Truncating packet|Header missing|EBML header parsing failed|End of file/i;
const STORAGE_ERRORS = /HTTP error 5\d\d|Server returned 5\d\d|Connection (reset|refused|timed out)|I\/O error|Network is unreachable|Broken pipe/i;

const CHANGED_SOURCE = /HTTP error 412|Server returned 412|Precondition Failed/i;

export function classifyFfmpegFailure(stderrTail: readonly string[]): FfmpegFailureKind {
  if (stderrTail.some((line) => CHANGED_SOURCE.test(line))) return 'changed';
  if (stderrTail.some((line) => STORAGE_ERRORS.test(line))) return 'storage';
  if (stderrTail.some((line) => INPUT_ERRORS.test(line))) return 'input';
  return 'encoder';
}

/**
 * The output's duration against what the source declared: an upload that ends early (an MP4 cut short
 * whose index still announces the full length) decodes "fine" up to where its data stops. More than 10 %
 * and more than a second missing is a truncated upload; the tolerance absorbs streams of unequal length.
 */
export function truncationOf(sourceSeconds: number | undefined, outputSeconds: number | undefined): string | undefined {
  if (sourceSeconds === undefined || outputSeconds === undefined) return undefined;
  const missing = sourceSeconds - outputSeconds;
  if (missing <= 1 || missing <= sourceSeconds * 0.1) return undefined;
  return `The uploaded video is truncated: it holds ${formatClock(outputSeconds)} of the ${formatClock(sourceSeconds)} it declares`;
}

/** 75 → "1:15", 3725 → "1:02:05": how a player shows a position. */
export function formatClock(totalSeconds: number): string {
  const whole = Math.max(0, Math.round(totalSeconds));
  const pad = (value: number) => String(value).padStart(2, '0');
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor(whole / 60) % 60;
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(whole % 60)}` : `${minutes}:${pad(whole % 60)}`;
}
