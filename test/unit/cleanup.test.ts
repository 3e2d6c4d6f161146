import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCleanup, type CleanupDeps } from '../../functions/core/cleanup.ts';
import { createLogger } from '../../functions/core/log.ts';
import { createVideoRepository } from '../../functions/core/video-repository.ts';
import { aVideoRecord } from '../support/video-record.ts';

/**
 * The cleanup against mocked S3 and DynamoDB: s3rver cannot list multipart uploads, and the other parts are
 * easier to pin down here (ages, pagination, batches); the integration test runs it for real.
 */
const s3Mock = mockClient(S3Client);
const ddbMock = mockClient(DynamoDBDocumentClient);
const region = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const now = new Date('2026-03-10T12:00:00.000Z');
const hoursAgo = (hours: number) => new Date(now.getTime() - hours * 3_600_000);
const logs: Record<string, unknown>[] = [];

function deps(overrides: Partial<CleanupDeps['config']> = {}): CleanupDeps {
  return {
    s3: new S3Client(region),
    sfn: new SFNClient(region),
    repository: createVideoRepository(DynamoDBDocumentClient.from(new DynamoDBClient(region)), 'videos'),
    bucket: 'media',
    config: { TEMP_TTL_HOURS: 24, MULTIPART_TTL_HOURS: 24, PENDING_UPLOAD_TTL_HOURS: 24, SOURCE_RETENTION_DAYS: 7, ...overrides },
    logger: createLogger({}, (line) => logs.push(JSON.parse(line) as Record<string, unknown>)),
    now: () => now,
  };
}

beforeEach(() => {
  s3Mock.reset();
  ddbMock.reset();
  logs.length = 0;
  process.env.LOG_LEVEL = 'info';
  s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
  s3Mock.on(ListMultipartUploadsCommand).resolves({ Uploads: [] });
  s3Mock.on(DeleteObjectsCommand).resolves({});
  ddbMock.on(QueryCommand).resolves({ Items: [] });
});

describe('temp/ objects', () => {
  it('deletes those older than TEMP_TTL_HOURS, across pages, and keeps the fresh ones', async () => {
    s3Mock
      .on(ListObjectsV2Command, { Prefix: 'temp/' })
      .resolvesOnce({
        Contents: [
          { Key: 'temp/a/subtitles.srt', LastModified: hoursAgo(30) },
          { Key: 'temp/b/subtitles.srt', LastModified: hoursAgo(1) },
        ],
        IsTruncated: true,
        NextContinuationToken: 'page-2',
      })
      .resolvesOnce({ Contents: [{ Key: 'temp/c/subtitles.srt', LastModified: hoursAgo(25) }] });

    const report = await runCleanup(deps());

    expect(report.temp_objects_deleted).toBe(2);
    expect(s3Mock).toHaveReceivedCommandWith(ListObjectsV2Command, { Prefix: 'temp/', ContinuationToken: 'page-2' });
    expect(s3Mock).toHaveReceivedCommandWith(DeleteObjectsCommand, {
      Bucket: 'media',
      Delete: { Objects: [{ Key: 'temp/a/subtitles.srt' }, { Key: 'temp/c/subtitles.srt' }], Quiet: true },
    });
  });

  it('deletes in batches of at most 1000 keys', async () => {
    const old = hoursAgo(48);
    s3Mock.on(ListObjectsV2Command, { Prefix: 'temp/' }).resolves({
      Contents: Array.from({ length: 1500 }, (_, index) => ({ Key: `temp/v${index}/x`, LastModified: old })),
    });

    const report = await runCleanup(deps());

    const batches = s3Mock.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete?.Objects?.length);
    expect(batches).toEqual([1000, 500]);
    expect(report.temp_objects_deleted).toBe(1500);
  });
});

describe('multipart uploads', () => {
  it('aborts those started more than a day ago, across pages, and leaves recent ones', async () => {
    s3Mock
      .on(ListMultipartUploadsCommand)
      .resolvesOnce({
        Uploads: [
          { Key: 'uploads/a/source.mp4', UploadId: 'old-1', Initiated: hoursAgo(30) },
          { Key: 'uploads/b/source.mp4', UploadId: 'new-1', Initiated: hoursAgo(2) },
        ],
        IsTruncated: true,
        NextKeyMarker: 'uploads/b/source.mp4',
        NextUploadIdMarker: 'new-1',
      })
      .resolvesOnce({ Uploads: [{ Key: 'uploads/c/source.mp4', UploadId: 'old-2', Initiated: hoursAgo(100) }] });
    s3Mock.on(AbortMultipartUploadCommand).resolves({});

    const report = await runCleanup(deps());

    expect(report.multipart_uploads_aborted).toBe(2);
    expect(s3Mock).toHaveReceivedCommandWith(ListMultipartUploadsCommand, { KeyMarker: 'uploads/b/source.mp4', UploadIdMarker: 'new-1' });
    expect(s3Mock.commandCalls(AbortMultipartUploadCommand).map((call) => call.args[0].input.UploadId)).toEqual(['old-1', 'old-2']);
    expect(s3Mock).toHaveReceivedCommandWith(AbortMultipartUploadCommand, { Bucket: 'media', Key: 'uploads/a/source.mp4', UploadId: 'old-1' });
  });

  it('counts an upload completed or aborted meanwhile as nothing to do', async () => {
    s3Mock.on(ListMultipartUploadsCommand).resolves({ Uploads: [{ Key: 'uploads/a/source.mp4', UploadId: 'gone', Initiated: hoursAgo(30) }] });
    s3Mock
      .on(AbortMultipartUploadCommand)
      .rejects(new S3ServiceException({ name: 'NoSuchUpload', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: 'gone' }));

    await expect(runCleanup(deps())).resolves.toMatchObject({ multipart_uploads_aborted: 0 });
  });

  it('notes and skips the part when S3 does not implement the listing (the local s3rver)', async () => {
    s3Mock
      .on(ListMultipartUploadsCommand)
      .rejects(new S3ServiceException({ name: 'NotImplemented', $fault: 'server', $metadata: { httpStatusCode: 501 }, message: 'no' }));

    const report = await runCleanup(deps());

    expect(report.skipped).toEqual(['multipart uploads: this S3 does not implement ListMultipartUploads']);
    expect(s3Mock).not.toHaveReceivedCommand(AbortMultipartUploadCommand);
  });
});

describe('records whose upload never came', () => {
  it('marks awaiting_upload records older than PENDING_UPLOAD_TTL_HOURS failed with upload_expired, conditionally', async () => {
    const stale = aVideoRecord({ id: '00000000-0000-4000-8000-00000000000a', created_at: hoursAgo(30).toISOString() });
    ddbMock.on(QueryCommand).resolves({ Items: [stale] });
    ddbMock.on(UpdateCommand).resolves({});

    const report = await runCleanup(deps());

    expect(report.pending_uploads_expired).toBe(1);
    expect(ddbMock).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'status-created_at-index',
      KeyConditionExpression: '#status = :status AND #created < :before',
      ExpressionAttributeValues: { ':status': 'awaiting_upload', ':before': hoursAgo(24).toISOString() },
    });
    expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { id: stale.id },
      ConditionExpression: '#status = :awaiting',
      ExpressionAttributeValues: expect.objectContaining({
        ':error': { code: 'upload_expired', message: expect.stringContaining('24 h') },
      }),
    });
  });

  it('does not count a record whose upload arrived meanwhile (the condition failed)', async () => {
    ddbMock.on(QueryCommand, { ExpressionAttributeValues: { ':status': 'awaiting_upload', ':before': hoursAgo(24).toISOString() } }).resolves({
      Items: [aVideoRecord({ created_at: hoursAgo(30).toISOString() })],
    });
    const { ConditionalCheckFailedException } = await import('@aws-sdk/client-dynamodb');
    ddbMock.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    await expect(runCleanup(deps())).resolves.toMatchObject({ pending_uploads_expired: 0 });
  });
});

describe('sources of saved videos', () => {
  const saved = aVideoRecord({ id: '00000000-0000-4000-8000-0000000000s1', status: 'saved' });
  const failed = aVideoRecord({ id: '00000000-0000-4000-8000-0000000000f1', status: 'failed' });

  it('deletes them after SOURCE_RETENTION_DAYS, keeps those of failed videos (for a retry) and of recent ones', async () => {
    s3Mock.on(ListObjectsV2Command, { Prefix: 'uploads/' }).resolves({
      Contents: [
        { Key: `uploads/${saved.id}/source.mp4`, LastModified: hoursAgo(8 * 24) },
        { Key: `uploads/${saved.id}/subtitles.srt`, LastModified: hoursAgo(8 * 24) },
        { Key: `uploads/${failed.id}/source.mp4`, LastModified: hoursAgo(30 * 24) },
        { Key: 'uploads/recent/source.mp4', LastModified: hoursAgo(1) },
      ],
    });
    ddbMock.on(GetCommand, { Key: { id: saved.id } }).resolves({ Item: saved });
    ddbMock.on(GetCommand, { Key: { id: failed.id } }).resolves({ Item: failed });

    const report = await runCleanup(deps());

    expect(report.source_objects_deleted).toBe(2);
    expect(s3Mock).toHaveReceivedCommandWith(DeleteObjectsCommand, {
      Delete: { Objects: [{ Key: `uploads/${saved.id}/source.mp4` }, { Key: `uploads/${saved.id}/subtitles.srt` }], Quiet: true },
    });
    expect(ddbMock).not.toHaveReceivedCommandWith(GetCommand, { Key: { id: 'recent' } });
  });

  it('keeps every source when SOURCE_RETENTION_DAYS is 0', async () => {
    await runCleanup(deps({ SOURCE_RETENTION_DAYS: 0 }));
    expect(s3Mock).not.toHaveReceivedCommandWith(ListObjectsV2Command, { Prefix: 'uploads/' });
  });
});

it('runs every part even when one fails, then fails the run so the schedule reports it', async () => {
  s3Mock.on(ListObjectsV2Command, { Prefix: 'temp/' }).rejects(new Error('S3 is down'));
  ddbMock.on(QueryCommand).resolves({ Items: [aVideoRecord({ created_at: hoursAgo(30).toISOString() })] });
  ddbMock.on(UpdateCommand).resolves({});

  await expect(runCleanup(deps())).rejects.toThrow(/1 part\(s\) failed.*"pending_uploads_expired":1/);
  expect(logs).toContainEqual(expect.objectContaining({ level: 'error', msg: 'cleanup part failed', part: 'temp' }));
});
