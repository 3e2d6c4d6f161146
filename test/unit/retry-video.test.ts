import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CopyObjectCommand, HeadObjectCommand, NotFound, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { retryVideo, type RetryVideoDeps } from '../../functions/core/retry-video.ts';
import { createVideoRepository } from '../../functions/core/video-repository.ts';
import { aVideoRecord } from '../support/video-record.ts';

const s3Mock = mockClient(S3Client);
const ddbMock = mockClient(DynamoDBDocumentClient);
const region = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const failed = aVideoRecord({ status: 'failed', error: { code: 'timeout', message: 'stalled' } });
const now = new Date('2026-03-10T12:00:00.000Z');

const deps = (): RetryVideoDeps => ({
  repository: createVideoRepository(DynamoDBDocumentClient.from(new DynamoDBClient(region)), 'videos'),
  s3: new S3Client(region),
  bucket: 'media',
  now: () => now,
});

beforeEach(() => {
  s3Mock.reset();
  ddbMock.reset();
  s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 100 });
  s3Mock.on(CopyObjectCommand).resolves({});
  ddbMock.on(UpdateCommand).resolves({});
});

describe('retryVideo', () => {
  it('puts a failed video back to awaiting_upload, then rewrites its kept source so the upload event starts a run', async () => {
    ddbMock.on(GetCommand).resolvesOnce({ Item: failed }).resolves({ Item: { ...failed, status: 'awaiting_upload', error: undefined } });

    const video = await retryVideo(failed.id, deps());

    expect(video.status).toBe('awaiting_upload');
    expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { id: failed.id },
      ConditionExpression: '#status = :failed',
      UpdateExpression: expect.stringContaining('REMOVE #error, #progress'),
      ExpressionAttributeValues: expect.objectContaining({
        ':entry': [{ status: 'awaiting_upload', at: now.toISOString(), note: 'retry requested' }],
      }),
    });
    expect(s3Mock).toHaveReceivedCommandWith(CopyObjectCommand, {
      Bucket: 'media',
      Key: failed.source_key,
      CopySource: `media/${failed.source_key}`,
      MetadataDirective: 'REPLACE',
      ContentType: failed.content_type,
    });
  });

  it.each(['awaiting_upload', 'processing', 'saved'] as const)('refuses a video that is %s with 409', async (status) => {
    ddbMock.on(GetCommand).resolves({ Item: { ...failed, status } });
    await expect(retryVideo(failed.id, deps())).rejects.toMatchObject({ statusCode: 409, message: expect.stringContaining(status) });
    expect(s3Mock).not.toHaveReceivedCommand(CopyObjectCommand);
  });

  it('refuses with 409 when the upload is no longer stored', async () => {
    ddbMock.on(GetCommand).resolves({ Item: failed });
    s3Mock.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    await expect(retryVideo(failed.id, deps())).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('no longer stored') });
    expect(ddbMock).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('lets only one of two racing retries through', async () => {
    ddbMock.on(GetCommand).resolves({ Item: failed });
    ddbMock.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    await expect(retryVideo(failed.id, deps())).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('already') });
    expect(s3Mock).not.toHaveReceivedCommand(CopyObjectCommand);
  });

  it('puts the failure back when the copy cannot be made, so the video does not wait for nothing', async () => {
    ddbMock.on(GetCommand).resolves({ Item: failed });
    s3Mock.on(CopyObjectCommand).rejects(new S3ServiceException({ name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'x' }));

    await expect(retryVideo(failed.id, deps())).rejects.toMatchObject({ code: 'dependency_unavailable' });
    expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, {
      ConditionExpression: '#status = :awaiting',
      ExpressionAttributeValues: expect.objectContaining({ ':error': failed.error }),
    });
  });
});
