import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../functions/core/log.ts';
import { reconcileExecution, reconcileProcessing, videoIdOfExecutionInput, type ReconcileDeps } from '../../functions/core/reconcile.ts';
import { createVideoRepository } from '../../functions/core/video-repository.ts';
import { aVideoRecord } from '../support/video-record.ts';

const s3Mock = mockClient(S3Client);
const sfnMock = mockClient(SFNClient);
const ddbMock = mockClient(DynamoDBDocumentClient);
const region = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const now = new Date('2026-03-10T12:00:00.000Z');
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const executionArn = (name: string) => `arn:aws:states:eu-west-1:111111111111:execution:vidp-pipeline:${name}`;
const processing = (id: string, execution: string) =>
  aVideoRecord({ id, status: 'processing', execution_id: executionArn(execution) });
const queued = (id: string, execution: string) => aVideoRecord({ id, status: 'queued', execution_id: executionArn(execution) });
/** The status index answers each status with its own records. */
function onStatusIndex(records: { queued?: ReturnType<typeof aVideoRecord>[]; processing?: ReturnType<typeof aVideoRecord>[] }): void {
  ddbMock.on(QueryCommand).resolves({ Items: [] });
  for (const status of ['queued', 'processing'] as const) {
    ddbMock.on(QueryCommand, { ExpressionAttributeValues: { ':status': status } }, false).resolves({ Items: records[status] ?? [] });
  }
}

function deps(): ReconcileDeps {
  return {
    s3: new S3Client(region),
    sfn: new SFNClient(region),
    repository: createVideoRepository(DynamoDBDocumentClient.from(new DynamoDBClient(region)), 'videos'),
    bucket: 'media',
    logger: quiet,
    now: () => now,
  };
}

beforeEach(() => {
  s3Mock.reset();
  sfnMock.reset();
  ddbMock.reset();
  s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
  s3Mock.on(DeleteObjectsCommand).resolves({});
  ddbMock.on(UpdateCommand).resolves({});
});

describe('reconcileProcessing (the schedule)', () => {
  it('fails as interrupted each queued or processing video whose execution ended or is unknown, and leaves running ones alone', async () => {
    onStatusIndex({
      queued: [queued('d', 'forgotten-while-queued')],
      processing: [processing('a', 'running'), processing('b', 'timed-out'), processing('c', 'forgotten')],
    });
    sfnMock.on(DescribeExecutionCommand, { executionArn: executionArn('running') }).resolves({ status: 'RUNNING' });
    sfnMock.on(DescribeExecutionCommand, { executionArn: executionArn('timed-out') }).resolves({ status: 'TIMED_OUT' });
    for (const name of ['forgotten', 'forgotten-while-queued']) {
      sfnMock
        .on(DescribeExecutionCommand, { executionArn: executionArn(name) })
        .rejects(new ExecutionDoesNotExist({ message: 'Execution does not exist', $metadata: {} }));
    }

    const failedCodes: string[] = [];
    expect(await reconcileProcessing({ ...deps(), metrics: { failed: (code) => failedCodes.push(code) } })).toBe(3);
    expect(failedCodes).toEqual(['interrupted', 'interrupted', 'interrupted']);

    const failed = ddbMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(failed.map((input) => input.Key)).toEqual([{ id: 'd' }, { id: 'b' }, { id: 'c' }]);
    for (const input of failed) {
      // Only a record still processing for that very execution: a retry or a save that won the race stays.
      expect(input.ConditionExpression).toBe('#status IN (:queued, :processing) AND #execution = :execution');
      expect(input.ExpressionAttributeValues).toMatchObject({ ':error': { code: 'interrupted' } });
      expect(Object.keys(input.ExpressionAttributeValues ?? {})).not.toContain(':awaiting');
    }
    expect(failed[1]!.ExpressionAttributeValues?.[':error'].message).toMatch(/time limit.*retry/);
    expect(failed[2]!.ExpressionAttributeValues?.[':error'].message).toMatch(/no longer exists.*retry/);
  });

  it('removes the working files and any partial output of an interrupted video, never its upload', async () => {
    onStatusIndex({ processing: [processing('b', 'gone')] });
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });
    s3Mock.on(ListObjectsV2Command, { Prefix: 'temp/b/' }).resolves({ Contents: [{ Key: 'temp/b/subtitles.srt' }] });
    s3Mock.on(ListObjectsV2Command, { Prefix: 'videos/b/' }).resolves({ Contents: [{ Key: 'videos/b/subtitles.vtt' }] });

    await reconcileProcessing(deps());

    const deleted = s3Mock.commandCalls(DeleteObjectsCommand).flatMap((call) => call.args[0].input.Delete?.Objects ?? []);
    expect(deleted.map((object) => object.Key)).toEqual(['temp/b/subtitles.srt', 'videos/b/subtitles.vtt']);
    expect(s3Mock).not.toHaveReceivedCommandWith(ListObjectsV2Command, { Prefix: 'uploads/b/' });
  });

  it('deletes nothing when the record was no longer processing for that execution (the condition failed)', async () => {
    const { ConditionalCheckFailedException } = await import('@aws-sdk/client-dynamodb');
    ddbMock.on(QueryCommand).resolves({ Items: [processing('b', 'gone')] });
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'FAILED' });
    ddbMock.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));

    expect(await reconcileProcessing(deps())).toBe(0);
    expect(s3Mock).not.toHaveReceivedCommand(DeleteObjectsCommand);
  });
});

describe('reconcileExecution (Step Functions status events)', () => {
  const input = (key: string) => JSON.stringify({ detail: { bucket: { name: 'media' }, object: { key } } });

  it('fails the video of a timed-out execution that still shows it processing', async () => {
    ddbMock.on(GetCommand).resolves({ Item: processing('v1', 'x') });
    const failed = await reconcileExecution(deps(), { executionArn: executionArn('x'), status: 'TIMED_OUT', input: input('uploads/v1/source.mp4') });
    expect(failed).toBe(true);
    expect(ddbMock).toHaveReceivedCommandWith(UpdateCommand, { Key: { id: 'v1' } });
  });

  it('leaves a video that a newer execution (a retry) has claimed', async () => {
    ddbMock.on(GetCommand).resolves({ Item: processing('v1', 'newer') });
    const failed = await reconcileExecution(deps(), { executionArn: executionArn('older'), status: 'ABORTED', input: input('uploads/v1/source.mp4') });
    expect(failed).toBe(false);
    expect(ddbMock).not.toHaveReceivedCommand(UpdateCommand);
  });

  it.each([
    ['an S3 event', input('uploads/abc/source.mov'), 'abc'],
    ['a key outside uploads/', input('videos/abc/video.mp4'), undefined],
    ['no input', null, undefined],
    ['input that is not JSON', '{', undefined],
  ])('finds the video of %s', (_name, executionInput, expected) => {
    expect(videoIdOfExecutionInput(executionInput)).toBe(expected);
  });
});
