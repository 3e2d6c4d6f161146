import '../support/handler-env.ts';
import { GetObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { dynamodb, s3 } from '../../functions/core/clients.ts';
import { handler as markFailed } from '../../functions/pipeline/mark-failed.ts';
import { handler as prepareSubtitles } from '../../functions/pipeline/prepare-subtitles.ts';
import { prepareSubtitles as prepareSubtitlesUseCase } from '../../functions/core/prepare-subtitles.ts';
import { createVideoRepository } from '../../functions/core/video-repository.ts';
import { aVideoRecord } from '../support/video-record.ts';

const ddb = mockClient(dynamodb);
const s3Mock = mockClient(s3);
beforeEach(() => {
  ddb.reset();
  s3Mock.reset();
});

const id = '5a0e7c1b-2f3d-4e5a-8b9c-0d1e2f3a4b5c';
const record = aVideoRecord({ id, status: 'processing' });
const objectBody = (bytes: Uint8Array) => ({ Body: sdkStreamMixin(Readable.from([Buffer.from(bytes)])), ContentLength: bytes.length });

describe('PrepareSubtitles task', () => {
  it('writes the normalised SRT to temp/ and reports the cue count', async () => {
    ddb.on(GetCommand).resolves({ Item: record });
    const crlfLatin1 = Buffer.from('1\r\n00:00:01,000 --> 00:00:02,000\r\nÀ bientôt\r\n', 'latin1');
    s3Mock.on(GetObjectCommand).resolves(objectBody(crlfLatin1) as never);
    s3Mock.on(PutObjectCommand).resolves({});

    const result = await prepareSubtitles({ videoId: id });

    expect(result).toMatchObject({ key: `temp/${id}/subtitles.srt`, cue_count: 1, encoding: 'windows-1252' });
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'test-media', Key: `uploads/${id}/subtitles.srt` });
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'test-media',
      Key: `temp/${id}/subtitles.srt`,
      Body: '1\n00:00:01,000 --> 00:00:02,000\nÀ bientôt\n',
    });
  });

  it('throws SubtitlesNotReadyError, which the workflow retries, while the upload has not arrived', async () => {
    ddb.on(GetCommand).resolves({ Item: record });
    s3Mock.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));
    await expect(prepareSubtitles({ videoId: id })).rejects.toMatchObject({ name: 'SubtitlesNotReadyError' });
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('throws SubtitlesInvalidError for an empty file, and writes nothing', async () => {
    ddb.on(GetCommand).resolves({ Item: record });
    s3Mock.on(GetObjectCommand).resolves(objectBody(new Uint8Array()) as never);
    await expect(prepareSubtitles({ videoId: id })).rejects.toMatchObject({
      name: 'SubtitlesInvalidError',
      message: expect.stringMatching(/empty/),
    });
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('refuses a file above the size limit without reading it', async () => {
    ddb.on(GetCommand).resolves({ Item: record });
    s3Mock.on(GetObjectCommand).resolves({ ...objectBody(new Uint8Array([65])), ContentLength: 3 * 1024 * 1024 } as never);
    await expect(prepareSubtitles({ videoId: id })).rejects.toMatchObject({ name: 'SubtitlesInvalidError' });
  });
});

describe('PrepareSubtitles task with subtitles at a URL', () => {
  it('refuses the cloud metadata address before any request, and writes nothing', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...record, subtitles: { source: 'url', url: 'http://169.254.169.254/latest/meta-data/' } } });

    await expect(prepareSubtitles({ videoId: id })).rejects.toMatchObject({
      name: 'SubtitlesUrlRefusedError',
      message: expect.stringContaining('link-local'),
    });
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('normalises what the URL returned like an upload, and notes the parser warnings on the record', async () => {
    const vtt = 'WEBVTT\n\n00:00:03.000 --> 00:00:04.000\nsecond\n\n00:00:01.000 --> 00:00:02.000\nfirst\n';
    const fetched: string[] = [];
    s3Mock.on(PutObjectCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    const repository = createVideoRepository(dynamodb, 'test-videos');
    ddb.on(GetCommand).resolves({ Item: { ...record, subtitles: { source: 'url', url: 'https://subs.example.test/v.vtt' } } });

    const result = await prepareSubtitlesUseCase(id, {
      repository,
      s3,
      bucket: 'test-media',
      maxBytes: 1024,
      fetchFromUrl: async (url) => {
        fetched.push(url);
        return new TextEncoder().encode(vtt);
      },
    });

    expect(fetched).toEqual(['https://subs.example.test/v.vtt']);
    expect(result).toMatchObject({ format: 'vtt', cue_count: 2, warnings: ['Cues were out of order and have been sorted by start time'] });
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, {
      Key: `temp/${id}/subtitles.srt`,
      Body: '1\n00:00:01,000 --> 00:00:02,000\nfirst\n\n2\n00:00:03,000 --> 00:00:04,000\nsecond\n',
    });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      ConditionExpression: '#status IN (:queued, :processing)',
      ExpressionAttributeValues: expect.objectContaining({ ':warnings': result.warnings }),
    });
  });
});

describe('MarkFailed task', () => {
  it('stores a readable code and reason on the record and returns them', async () => {
    ddb.on(UpdateCommand).resolves({});
    const cause = JSON.stringify({ errorType: 'SubtitlesInvalidError', errorMessage: 'The subtitles file has no cues' });

    const result = await markFailed({ videoId: id, error: { Error: 'SubtitlesInvalidError', Cause: cause } });

    expect(result).toEqual({ code: 'subtitles_invalid', message: 'The subtitles file has no cues', recorded: true });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { id },
      ExpressionAttributeValues: expect.objectContaining({
        ':failed': 'failed',
        ':error': { code: 'subtitles_invalid', message: 'The subtitles file has no cues' },
      }),
    });
  });

  it('leaves a record that another execution owns now, and says it recorded nothing', async () => {
    const { ConditionalCheckFailedException } = await import('@aws-sdk/client-dynamodb');
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    const executionId = 'arn:aws:states:us-east-1:000000000000:execution:vidp-pipeline:old';

    const result = await markFailed({ videoId: id, executionId, error: { Error: 'States.HeartbeatTimeout', Cause: '' } });

    expect(result).toMatchObject({ code: 'timeout', recorded: false });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      ConditionExpression:
        '#status = :awaiting OR (#status IN (:queued, :processing) AND (attribute_not_exists(#execution) OR #execution = :execution))',
      ExpressionAttributeValues: expect.objectContaining({ ':execution': executionId }),
    });
  });

  it('appends the failure to the timeline', async () => {
    ddb.on(UpdateCommand).resolves({});
    await markFailed({ videoId: id, error: { Error: 'TranscodeTimeoutError', Cause: '{"code":"timeout","message":"stalled"}' } });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: expect.stringContaining('#timeline = list_append(if_not_exists(#timeline, :empty), :entry)'),
      ExpressionAttributeValues: expect.objectContaining({ ':entry': [{ status: 'failed', at: expect.any(String), code: 'timeout' }] }),
    });
  });

  it('refuses an event without the caught error', async () => {
    await expect(markFailed({ videoId: id })).rejects.toThrow();
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
  });
});
