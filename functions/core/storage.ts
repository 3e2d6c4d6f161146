import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type _Error as DeleteError,
  type _Object as StoredObject,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import contentDisposition from 'content-disposition';

export interface PresignedPostUpload {
  method: 'POST';
  url: string;
  fields: Record<string, string>;
  expires_at: string;
}

/**
 * A browser upload straight to S3. The policy pins the exact key, the content type and the size range,
 * so a client cannot upload somewhere else, something else, or something bigger than it declared.
 * (A presigned PUT cannot cap the size; that is why the video never gets one.)
 */
export async function presignUpload(
  s3: S3Client,
  request: { bucket: string; key: string; contentType: string; maxBytes: number; expiresInSeconds: number; now?: Date },
): Promise<PresignedPostUpload> {
  const now = request.now ?? new Date();
  const { url, fields } = await createPresignedPost(s3, {
    Bucket: request.bucket,
    Key: request.key,
    Fields: { 'Content-Type': request.contentType },
    Conditions: [
      ['eq', '$key', request.key],
      ['eq', '$Content-Type', request.contentType],
      ['content-length-range', 1, request.maxBytes],
    ],
    Expires: request.expiresInSeconds,
  });
  return {
    method: 'POST',
    url,
    fields,
    expires_at: new Date(now.getTime() + request.expiresInSeconds * 1000).toISOString(),
  };
}

/**
 * A short-lived GET for playback; S3 answers Range requests on it, so players can seek. The sidecar subtitles
 * are read the same way, with their own type.
 */
export async function presignPlayback(
  s3: S3Client,
  request: { bucket: string; key: string; expiresInSeconds: number; filename?: string; contentType?: string },
): Promise<string> {
  return getSignedUrl(
    s3,
    new GetObjectCommand({
      Bucket: request.bucket,
      Key: request.key,
      ResponseContentType: request.contentType ?? 'video/mp4',
      ...(request.filename === undefined
        ? {}
        : { ResponseContentDisposition: inlineDisposition(request.filename) }),
    }),
    { expiresIn: request.expiresInSeconds },
  );
}

/**
 * `inline; filename="<ASCII>"; filename*=UTF-8''<percent-encoded>` (RFC 6266): browsers save the file under
 * its real name in any script, and the header itself stays ASCII, which every HTTP stack carries (a raw
 * emoji or right-to-left mark in it made the object GET fail, and Latin-1 came out as mojibake).
 */
export function inlineDisposition(filename: string): string {
  // A browser would take a path separator as a folder; content-disposition would keep the part after it only.
  const name = filename.replace(/[\\/]/g, '_');
  const asciiFallback = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return contentDisposition(name, { type: 'inline', fallback: asciiFallback });
}

/** Every object under `prefix`, page after page of ListObjectsV2. */
export async function* listObjects(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<StoredObject> {
  let continuationToken: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(continuationToken ? { ContinuationToken: continuationToken } : {}) }),
    );
    yield* page.Contents ?? [];
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken !== undefined);
}

/** DeleteObjects takes at most this many keys per call. */
const DELETE_BATCH = 1000;

/** Deletes `keys` in batches; returns the objects S3 could not delete (the caller decides what that means). */
export async function deleteObjects(s3: S3Client, bucket: string, keys: readonly string[]): Promise<DeleteError[]> {
  const failed: DeleteError[] = [];
  for (let start = 0; start < keys.length; start += DELETE_BATCH) {
    const batch = keys.slice(start, start + DELETE_BATCH);
    const { Errors = [] } = await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
    );
    failed.push(...Errors);
  }
  return failed;
}

/** Parses `s3://bucket/key`. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match?.[1] || !match[2]) throw new Error(`Not an S3 URI: ${uri}`);
  return { bucket: match[1], key: match[2] };
}
