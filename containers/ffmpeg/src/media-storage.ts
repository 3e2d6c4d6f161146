/**
 * The worker's S3 transfers: the prepared subtitles down, the MP4 and its subtitle sidecars up, the source
 * located for ffmpeg to read itself. S3 failures become the errors the workflow retries or reports.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, HeadObjectCommand, NoSuchKey, NotFound, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  InputInvalidError,
  isAppError,
  SourceChangedError,
  StorageUnavailableError,
  SubtitlesInvalidError,
  WorkerMisconfiguredError,
  type AppError,
} from '../../../functions/core/errors.ts';

/** Where ffmpeg reads the source from (a URL or a path); `etag` pins the object the workflow claimed. */
export type SourceLocator = (bucket: string, key: string, etag: string, signal: AbortSignal) => Promise<string>;

export const SOURCE_CHANGED_MESSAGE =
  'The upload was replaced while it was being processed; retry the video to process the file that is there now';

export const SOURCE_GONE_MESSAGE = 'The uploaded video is no longer in storage';

/** Seconds a source URL stays valid: longer than the Transcode state's TimeoutSeconds (4 h). */
const SOURCE_URL_TTL_SECONDS = 6 * 3600;

/**
 * The production source locator: confirms the upload is still there (a clear error now rather than an HTTP
 * 404 from inside ffmpeg) and presigns a GET for ffmpeg. Signed with the task role's credentials, the URL is
 * good for as long as they are; ffmpeg keeps its connection open and reconnects only on errors.
 */
export function presignedSourceLocator(client: S3Client): SourceLocator {
  return async (bucket, key, etag, signal) => {
    let size: number | undefined;
    try {
      ({ ContentLength: size } = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, IfMatch: quotedEtag(etag) }), {
        abortSignal: signal,
      }));
    } catch (error) {
      if (error instanceof NotFound || error instanceof NoSuchKey) {
        throw new InputInvalidError(SOURCE_GONE_MESSAGE);
      }
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 412) throw new SourceChangedError(SOURCE_CHANGED_MESSAGE);
      throw toStorageError(error, `looking up ${key}`);
    }
    if (size === 0) throw new InputInvalidError('The uploaded file is empty (0 bytes)');
    return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: SOURCE_URL_TTL_SECONDS });
  };
}

/** S3 event ETags come bare; If-Match takes an HTTP entity tag, quoted. */
export function quotedEtag(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

// The worker redacts ffmpeg's output before it becomes a task failure's cause (not only a log line).
export { redactSignedUrls } from '../../../functions/core/redact.ts';

export async function downloadObject(
  client: S3Client,
  target: { bucket: string; key: string; file: string; signal: AbortSignal; /** Only this version of the object. */ etag?: string },
  whenMissing: () => AppError,
): Promise<void> {
  try {
    const ifMatch = target.etag === undefined ? {} : { IfMatch: quotedEtag(target.etag) };
    const { Body } = await client.send(new GetObjectCommand({ Bucket: target.bucket, Key: target.key, ...ifMatch }), {
      abortSignal: target.signal,
    });
    if (!(Body instanceof Readable)) throw new Error(`GetObject ${target.key} returned no stream`);
    // Streamed to disk: sources can be gigabytes.
    await pipeline(Body, createWriteStream(target.file), { signal: target.signal });
  } catch (error) {
    if (error instanceof NoSuchKey) throw whenMissing();
    if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 412) throw new SourceChangedError(SOURCE_CHANGED_MESSAGE);
    throw toStorageError(error, `downloading ${target.key}`);
  }
}

/** The subtitles PrepareSubtitles wrote for this job (temp/{id}/subtitles.srt), to `file`. */
export async function downloadPreparedSubtitles(
  client: S3Client,
  target: { bucket: string; key: string; file: string; signal: AbortSignal },
): Promise<void> {
  await downloadObject(client, target, () => new SubtitlesInvalidError('The prepared subtitles are no longer in storage'));
}

/** A small object's text (a segment plan or report); `whenMissing` says what its absence means. */
export async function getText(
  client: S3Client,
  target: { bucket: string; key: string; signal: AbortSignal },
  whenMissing: () => AppError,
): Promise<string> {
  try {
    const { Body } = await client.send(new GetObjectCommand({ Bucket: target.bucket, Key: target.key }), { abortSignal: target.signal });
    if (Body === undefined) throw new Error(`GetObject ${target.key} returned no body`);
    return await Body.transformToString('utf8');
  } catch (error) {
    if (error instanceof NoSuchKey) throw whenMissing();
    throw toStorageError(error, `downloading ${target.key}`);
  }
}

/** The output's multipart part size, and the size below which it is one PutObject. */
const UPLOAD_PART_BYTES = 16 * 1024 * 1024;

export async function uploadFile(
  client: S3Client,
  target: { bucket: string; key: string; file: string; contentType: string; signal: AbortSignal },
): Promise<void> {
  // lib-storage switches to a multipart upload for large files and streams either way.
  const upload = new Upload({
    client,
    params: { Bucket: target.bucket, Key: target.key, Body: createReadStream(target.file, { highWaterMark: 1024 * 1024 }), ContentType: target.contentType },
    // Most outputs (a 60 s 720p clip is 10 MB) go in one PUT instead of a multipart upload's create, parts and
    // complete; a bigger one in 16 MiB parts, four in flight (64 MiB of the task's memory).
    partSize: UPLOAD_PART_BYTES,
  });
  const abortUpload = () => void upload.abort().catch(() => undefined);
  target.signal.addEventListener('abort', abortUpload, { once: true });
  try {
    await upload.done();
  } catch (error) {
    throw toStorageError(error, `uploading ${target.key}`);
  } finally {
    target.signal.removeEventListener('abort', abortUpload);
  }
}

export async function putText(
  client: S3Client,
  target: { bucket: string; key: string; body: string; contentType: string; signal: AbortSignal },
): Promise<void> {
  try {
    await client.send(
      new PutObjectCommand({ Bucket: target.bucket, Key: target.key, Body: target.body, ContentType: target.contentType }),
      { abortSignal: target.signal },
    );
  } catch (error) {
    throw toStorageError(error, `uploading ${target.key}`);
  }
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * S3 failures that may pass (5xx, throttling, network) become StorageUnavailableError, which the ASL
 * retries; a refusal (403, missing bucket) is a deployment problem. Anything else is left as it is.
 */
function toStorageError(error: unknown, action: string): unknown {
  if (!(error instanceof Error) || isAppError(error) || error.name === 'AbortError') return error;
  if (error instanceof S3ServiceException) {
    const status = error.$metadata?.httpStatusCode;
    if (error.$fault === 'server' || status === 429 || (status !== undefined && status >= 500)) {
      return new StorageUnavailableError(`Storage was unavailable while ${action}`, { cause: error });
    }
    if (status === 403 || error.name === 'AccessDenied' || error.name === 'NoSuchBucket') {
      return new WorkerMisconfiguredError(`Storage refused the worker while ${action} (${error.name})`, {
        cause: error,
      });
    }
    return error;
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (error.name === 'TimeoutError' || (code !== undefined && NETWORK_ERROR_CODES.has(code))) {
    return new StorageUnavailableError(`Storage was unreachable while ${action}`, { cause: error });
  }
  return error;
}
