import {
  AbortMultipartUploadCommand,
  ListMultipartUploadsCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { CleanupConfig } from './config.ts';
import type { VideoMetrics } from './metrics.ts';
import { reconcileProcessing } from './reconcile.ts';
import { deleteObjects, listObjects } from './storage.ts';
import { TEMP_PREFIX, UPLOADS_PREFIX } from './keys.ts';
import type { Logger } from './log.ts';
import type { VideoRepository } from './video-repository.ts';
import type { VideoError } from './video.ts';

export interface CleanupDeps {
  s3: S3Client;
  /** Asks whether the execution of a `processing` video still runs. */
  sfn: Pick<SFNClient, 'send'>;
  /** Counts the videos the reconciler fails. */
  metrics?: Pick<VideoMetrics, 'failed'>;
  repository: Pick<VideoRepository, 'listCreatedBefore' | 'markFailed' | 'find'>;
  bucket: string;
  config: CleanupConfig;
  logger: Logger;
  now?: () => Date;
}

export interface CleanupReport {
  temp_objects_deleted: number;
  multipart_uploads_aborted: number;
  pending_uploads_expired: number;
  /** `processing` records whose execution had ended without a word: now `failed` with `interrupted`. */
  interrupted_videos_failed: number;
  source_objects_deleted: number;
  /** Parts that could not run here (e.g. a local S3 without ListMultipartUploads), with why. */
  skipped: string[];
}

const HOUR_MS = 3_600_000;
const PAGE = 100;

/** The error a video gets when its upload never came. */
export function uploadExpired(hours: number): VideoError {
  return {
    code: 'upload_expired',
    message: `No upload arrived within ${hours} h of creating the video; create the video again and upload it`,
  };
}

/**
 * The scheduled cleanup, each part independent of the others (one failing does not stop the rest):
 * - working files under temp/ older than TEMP_TTL_HOURS (left by runs that died);
 * - multipart uploads started more than MULTIPART_TTL_HOURS ago and never completed (their parts cost storage);
 * - records still `awaiting_upload` PENDING_UPLOAD_TTL_HOURS after creation: `failed` with `upload_expired`;
 * - records in `processing` whose execution no longer runs: `failed` with `interrupted` (see reconcile.ts);
 * - sources of saved videos older than SOURCE_RETENTION_DAYS (failed videos keep theirs: they can be retried).
 * Every change is conditional or idempotent: two runs at once, or a run racing the workflow, do no harm.
 */
export async function runCleanup(deps: CleanupDeps): Promise<CleanupReport> {
  const now = (deps.now ?? (() => new Date()))();
  const report: CleanupReport = {
    temp_objects_deleted: 0,
    multipart_uploads_aborted: 0,
    pending_uploads_expired: 0,
    interrupted_videos_failed: 0,
    source_objects_deleted: 0,
    skipped: [],
  };
  const parts: [string, () => Promise<void>][] = [
    ['temp', async () => void (report.temp_objects_deleted = await deleteTempObjects(deps, now))],
    ['multipart', async () => void (report.multipart_uploads_aborted = await abortStaleMultipartUploads(deps, now, report))],
    ['pending', async () => void (report.pending_uploads_expired = await expirePendingUploads(deps, now))],
    ['processing', async () => void (report.interrupted_videos_failed = await reconcileProcessing({ ...deps, now: () => now }))],
    ['sources', async () => void (report.source_objects_deleted = await deleteSavedSources(deps, now))],
  ];
  const failures: unknown[] = [];
  for (const [name, part] of parts) {
    try {
      await part();
    } catch (error) {
      deps.logger.error('cleanup part failed', { part: name, error });
      failures.push(error);
    }
  }
  if (failures.length > 0) {
    // Counts so far are in the log; the schedule's failure metric must still see the run fail.
    throw new AggregateError(failures, `Cleanup: ${failures.length} part(s) failed (${JSON.stringify(report)})`);
  }
  return report;
}

async function deleteTempObjects(deps: CleanupDeps, now: Date): Promise<number> {
  const cutoff = now.getTime() - deps.config.TEMP_TTL_HOURS * HOUR_MS;
  const stale: string[] = [];
  for await (const object of listObjects(deps.s3, deps.bucket, TEMP_PREFIX)) {
    if (object.Key !== undefined && object.LastModified !== undefined && object.LastModified.getTime() < cutoff) stale.push(object.Key);
  }
  return deleteKeys(deps, stale);
}

async function abortStaleMultipartUploads(deps: CleanupDeps, now: Date, report: CleanupReport): Promise<number> {
  const cutoff = now.getTime() - deps.config.MULTIPART_TTL_HOURS * HOUR_MS;
  let aborted = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    let page;
    try {
      page = await deps.s3.send(
        new ListMultipartUploadsCommand({ Bucket: deps.bucket, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
      );
    } catch (error) {
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 501) {
        report.skipped.push('multipart uploads: this S3 does not implement ListMultipartUploads');
        return aborted;
      }
      throw error;
    }
    for (const upload of page.Uploads ?? []) {
      if (upload.Key === undefined || upload.UploadId === undefined || upload.Initiated === undefined) continue;
      if (upload.Initiated.getTime() >= cutoff) continue;
      try {
        await deps.s3.send(new AbortMultipartUploadCommand({ Bucket: deps.bucket, Key: upload.Key, UploadId: upload.UploadId }));
        aborted += 1;
      } catch (error) {
        // Completed or aborted since it was listed: nothing left to do.
        if (!(error instanceof S3ServiceException && error.name === 'NoSuchUpload')) throw error;
      }
    }
    if (!page.IsTruncated) return aborted;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}

async function expirePendingUploads(deps: CleanupDeps, now: Date): Promise<number> {
  const hours = deps.config.PENDING_UPLOAD_TTL_HOURS;
  const before = new Date(now.getTime() - hours * HOUR_MS);
  let expired = 0;
  let startKey: Record<string, string> | undefined;
  do {
    const page = await deps.repository.listCreatedBefore({ status: 'awaiting_upload', before, limit: PAGE, ...(startKey ? { startKey } : {}) });
    for (const video of page.videos) {
      // Conditional: an upload that lands meanwhile wins (the workflow claims it first) or is ignored.
      if (await deps.repository.markFailed(video.id, uploadExpired(hours), now, { onlyFrom: 'awaiting_upload' })) expired += 1;
    }
    startKey = page.nextStartKey;
  } while (startKey !== undefined);
  return expired;
}

/**
 * uploads/{id}/… of saved videos, once older than the retention. Found from the bucket rather than the
 * table, so each object is looked at until it is gone and never again; a video without a record left an
 * orphan, which goes too.
 */
async function deleteSavedSources(deps: CleanupDeps, now: Date): Promise<number> {
  if (deps.config.SOURCE_RETENTION_DAYS === 0) return 0;
  const cutoff = now.getTime() - deps.config.SOURCE_RETENTION_DAYS * 24 * HOUR_MS;
  const byVideo = new Map<string, string[]>();
  for await (const object of listObjects(deps.s3, deps.bucket, UPLOADS_PREFIX)) {
    if (object.Key === undefined || object.LastModified === undefined || object.LastModified.getTime() >= cutoff) continue;
    const videoId = object.Key.slice(UPLOADS_PREFIX.length).split('/')[0];
    if (!videoId) continue;
    byVideo.set(videoId, [...(byVideo.get(videoId) ?? []), object.Key]);
  }
  const deletable: string[] = [];
  for (const [videoId, objectKeys] of byVideo) {
    const video = await deps.repository.find(videoId);
    if (video === undefined || video.status === 'saved') deletable.push(...objectKeys);
  }
  return deleteKeys(deps, deletable);
}

async function deleteKeys(deps: CleanupDeps, keys: readonly string[]): Promise<number> {
  const failed = await deleteObjects(deps.s3, deps.bucket, keys);
  for (const error of failed) deps.logger.warn('cleanup could not delete an object', { key: error.Key, code: error.Code });
  return keys.length - failed.length;
}
