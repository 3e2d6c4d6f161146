import { CopyObjectCommand, HeadObjectCommand, NoSuchKey, NotFound, type S3Client } from '@aws-sdk/client-s3';
import { ConflictError, DependencyUnavailableError } from './errors.ts';
import type { VideoRepository } from './video-repository.ts';
import { toPublicVideo } from './video.ts';

export interface RetryVideoDeps {
  repository: Pick<VideoRepository, 'get' | 'reopenForRetry' | 'markFailed'>;
  s3: S3Client;
  bucket: string;
  now?: () => Date;
}

/**
 * POST /videos/{id}/retry: a failed video goes through the workflow again, from the upload that was kept.
 *
 * The record goes back to `awaiting_upload` (conditionally: one retry wins, a video that is not failed is
 * refused), then the source is copied onto itself. That write is an "Object Created" event like the
 * original upload, so the retry enters the pipeline the one way every video does: ClaimJob and all.
 */
export async function retryVideo(id: string, deps: RetryVideoDeps) {
  const now = (deps.now ?? (() => new Date()))();
  const record = await deps.repository.get(id);
  if (record.status !== 'failed') {
    throw new ConflictError(`Only a failed video can be retried; this one is ${record.status}`);
  }
  try {
    await deps.s3.send(new HeadObjectCommand({ Bucket: deps.bucket, Key: record.source_key }));
  } catch (error) {
    if (error instanceof NotFound || error instanceof NoSuchKey) {
      throw new ConflictError('The uploaded video is no longer stored (it never arrived, or was removed): create the video again', {
        cause: error,
      });
    }
    throw error;
  }
  if (!(await deps.repository.reopenForRetry(id, now))) {
    throw new ConflictError('The video is no longer failed: a retry has started already');
  }
  try {
    await deps.s3.send(
      new CopyObjectCommand({
        Bucket: deps.bucket,
        Key: record.source_key,
        CopySource: `${deps.bucket}/${record.source_key.split('/').map(encodeURIComponent).join('/')}`,
        // S3 refuses a copy onto itself that changes nothing.
        MetadataDirective: 'REPLACE',
        ContentType: record.content_type,
        Metadata: { 'vidp-retried-at': now.toISOString() },
      }),
    );
  } catch (error) {
    // Put the failure back as it was: a record left waiting would expire as "upload never came".
    if (record.error !== undefined) {
      await deps.repository.markFailed(id, record.error, new Date(), { onlyFrom: 'awaiting_upload' });
    }
    throw new DependencyUnavailableError('The retry could not be started', { cause: error });
  }
  return toPublicVideo(await deps.repository.get(id));
}
