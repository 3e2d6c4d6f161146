import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  ListPartsCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ConflictError, PayloadTooLargeError, ValidationError } from './errors.ts';
import type { VideoRepository } from './video-repository.ts';
import { toPublicVideo, type VideoRecord } from './video.ts';

/**
 * Large videos upload in parts, straight to S3: the client asks for presigned URLs for the parts it is
 * about to send, PUTs them (in parallel, retrying any), and completes the upload with the parts' ETags.
 * After a reload it asks which parts S3 already has and sends only the rest.
 */
export interface MultipartDeps {
  repository: VideoRepository;
  s3: S3Client;
  bucket: string;
  urlTtlSeconds: number;
  now?: () => Date;
}

interface MultipartTarget {
  record: VideoRecord;
  uploadId: string;
  partSize: number;
  partCount: number;
}

/** The video's multipart upload, if it has one that can still take parts. */
async function openMultipartUpload(id: string, deps: MultipartDeps): Promise<MultipartTarget> {
  const record = await deps.repository.get(id);
  if (record.upload?.method !== 'MULTIPART') {
    throw new ConflictError('This video uploads with one presigned POST (it is below the multipart threshold), not in parts');
  }
  if (record.status !== 'awaiting_upload') {
    throw new ConflictError(`The upload of this video is over (status ${record.status})`, { details: { status: record.status } });
  }
  return { record, uploadId: record.upload.upload_id, partSize: record.upload.part_size, partCount: record.upload.part_count };
}

export async function presignUploadParts(id: string, partNumbers: number[], deps: MultipartDeps) {
  const target = await openMultipartUpload(id, deps);
  const outOfRange = partNumbers.filter((number) => number > target.partCount);
  if (outOfRange.length > 0) {
    throw new ValidationError(`This upload has parts 1 to ${target.partCount}; no part ${outOfRange.join(', ')}`, {
      details: { part_count: target.partCount, out_of_range: outOfRange },
    });
  }
  const parts = await Promise.all(
    [...new Set(partNumbers)].sort((a, b) => a - b).map(async (partNumber) => ({
      part_number: partNumber,
      url: await getSignedUrl(
        deps.s3,
        new UploadPartCommand({ Bucket: deps.bucket, Key: target.record.source_key, UploadId: target.uploadId, PartNumber: partNumber }),
        { expiresIn: deps.urlTtlSeconds },
      ),
    })),
  );
  const now = (deps.now ?? (() => new Date()))();
  return { parts, expires_at: new Date(now.getTime() + deps.urlTtlSeconds * 1000).toISOString() };
}

interface StoredPart {
  part_number: number;
  etag: string;
  size: number;
}

/** Every part S3 holds for the upload (ListParts pages at 1,000). */
async function listStoredParts(target: MultipartTarget, deps: MultipartDeps): Promise<StoredPart[]> {
  const parts: StoredPart[] = [];
  let marker: string | undefined;
  do {
    const page = await deps.s3
      .send(
        new ListPartsCommand({
          Bucket: deps.bucket,
          Key: target.record.source_key,
          UploadId: target.uploadId,
          ...(marker === undefined ? {} : { PartNumberMarker: marker }),
        }),
      )
      .catch((error: unknown) => rethrowUploadGone(error));
    for (const part of page.Parts ?? []) {
      parts.push({ part_number: part.PartNumber ?? 0, etag: part.ETag ?? '', size: part.Size ?? 0 });
    }
    marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
  } while (marker !== undefined);
  return parts;
}

export async function describeUpload(id: string, deps: MultipartDeps) {
  const target = await openMultipartUpload(id, deps);
  return {
    upload_id: target.uploadId,
    part_size: target.partSize,
    part_count: target.partCount,
    parts: await listStoredParts(target, deps),
  };
}

/**
 * Assembles the video. The parts' total is checked against the declared size first: a multipart upload
 * cannot cap the size of a part, so this is where an oversized upload is refused (before S3 builds it).
 */
export async function completeUpload(id: string, parts: { part_number: number; etag: string }[], deps: MultipartDeps) {
  const target = await openMultipartUpload(id, deps);
  const stored = new Map((await listStoredParts(target, deps)).map((part) => [part.part_number, part]));
  const missing = parts.filter((part) => !stored.has(part.part_number)).map((part) => part.part_number);
  if (missing.length > 0) {
    throw new ValidationError(`S3 has no part ${missing.join(', ')} of this upload: upload it first`, { details: { missing } });
  }
  const total = parts.reduce((sum, part) => sum + (stored.get(part.part_number)?.size ?? 0), 0);
  if (total > target.record.upload_size) {
    throw new PayloadTooLargeError(
      `The parts add up to ${total} bytes, more than the ${target.record.upload_size} declared for this video`,
      { details: { size: total, declared_size: target.record.upload_size } },
    );
  }
  try {
    await deps.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: deps.bucket,
        Key: target.record.source_key,
        UploadId: target.uploadId,
        MultipartUpload: {
          Parts: [...parts]
            .sort((a, b) => a.part_number - b.part_number)
            .map((part) => ({ PartNumber: part.part_number, ETag: quoted(part.etag) })),
        },
      }),
    );
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'InvalidPart' || name === 'InvalidPartOrder' || name === 'EntityTooSmall') {
      throw new ValidationError(`S3 refused the parts: ${(error as Error).message}`, { details: { s3_error: name } });
    }
    rethrowUploadGone(error);
  }
  return toPublicVideo(target.record);
}

/** Discards the parts and ends the video as failed; aborting again is not an error. */
export async function abortUpload(id: string, deps: MultipartDeps): Promise<void> {
  const record = await deps.repository.get(id);
  if (record.status === 'failed' && record.error?.code === 'upload_aborted') return;
  const target = await openMultipartUpload(id, deps);
  try {
    await deps.s3.send(
      new AbortMultipartUploadCommand({ Bucket: deps.bucket, Key: target.record.source_key, UploadId: target.uploadId }),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== 'NoSuchUpload') throw error;
  }
  await deps.repository.markFailed(id, { code: 'upload_aborted', message: 'The client aborted the upload' });
}

function rethrowUploadGone(error: unknown): never {
  if ((error as { name?: string }).name === 'NoSuchUpload') {
    throw new ConflictError('This multipart upload no longer exists (it was completed, aborted, or expired after a day)', {
      cause: error,
    });
  }
  throw error;
}

/** S3 returns ETags in quotes; clients copying them from a PUT response may or may not keep them. */
function quoted(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}
