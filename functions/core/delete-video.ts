import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import { keys, UPLOADS_PREFIX, VIDEOS_PREFIX } from './keys.ts';
import { log } from './log.ts';
import { deleteObjects, listObjects } from './storage.ts';
import type { VideoRepository } from './video-repository.ts';
import { isInFlight } from './video.ts';

export interface DeleteVideoDeps {
  repository: VideoRepository;
  s3: S3Client;
  bucket: string;
  /** Stops the video's workflow execution; stopping one that has ended must not fail. */
  stopExecution: (executionArn: string) => Promise<void>;
  /** Stops the ECS task encoding it (SIGTERM now, rather than at its next heartbeat); one gone must not fail. */
  stopTask: (taskArn: string) => Promise<void>;
}

/**
 * Removes everything of a video: its running encode and execution first (so neither writes after us), its
 * unfinished multipart upload, every object under its three prefixes, then its record. Deleting a video
 * that is gone already does the same checks and succeeds: the call is idempotent.
 */
export async function deleteVideo(id: string, deps: DeleteVideoDeps): Promise<void> {
  const record = await deps.repository.find(id);
  if (isInFlight(record?.status) && record?.execution_id !== undefined) {
    await deps.stopExecution(record.execution_id);
  }
  // After the execution: its task token is dead by then, so a worker that reports as it stops is refused.
  // Every task of the attempt: a segmented encode runs many at once (the planner's, one per segment, the join's).
  if (isInFlight(record?.status)) {
    const taskArns = new Set([...(record?.transcode_task_arns ?? []), ...(record?.transcode_task_arn === undefined ? [] : [record.transcode_task_arn])]);
    await Promise.all([...taskArns].map((taskArn) => deps.stopTask(taskArn)));
  }
  if (record?.status === 'awaiting_upload' && record.upload?.method === 'MULTIPART') {
    await deps.s3
      .send(new AbortMultipartUploadCommand({ Bucket: deps.bucket, Key: record.source_key, UploadId: record.upload.upload_id }))
      // The lifecycle rule aborts leftovers after a day: a failure here only delays that.
      .catch((error: unknown) => log.warn('could not abort the multipart upload', { videoId: id, error }));
  }
  for (const prefix of [`${UPLOADS_PREFIX}${id}/`, keys.tempPrefix(id), `${VIDEOS_PREFIX}${id}/`]) {
    await deletePrefix(deps.s3, deps.bucket, prefix);
  }
  await deps.repository.delete(id);
}

async function deletePrefix(s3: S3Client, bucket: string, prefix: string): Promise<void> {
  const keys: string[] = [];
  for await (const object of listObjects(s3, bucket, prefix)) if (object.Key) keys.push(object.Key);
  const failed = await deleteObjects(s3, bucket, keys);
  if (failed.length > 0) throw new Error(`Could not delete ${failed.length} object(s) under ${prefix}: ${failed[0]?.Code}`);
}
