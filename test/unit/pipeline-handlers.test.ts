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

describe('MarkFailed task', () => {
  it('stores a readable code and reason on the record and returns them', async () => {
    ddb.on(UpdateCommand).resolves({});
    const cause = JSON.stringify({ errorType: 'SubtitlesInvalidError', errorMessage: 'The subtitles file has no cues' });

    const result = await markFailed({ videoId: id, error: { Error: 'SubtitlesInvalidError', Cause: cause } });

    expect(result).toEqual({ code: 'subtitles_invalid', message: 'The subtitles file has no cues' });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { id },
      ExpressionAttributeValues: expect.objectContaining({ ':failed': 'failed', ':error': result }),
    });
  });

  it('refuses an event without the caught error', async () => {
    await expect(markFailed({ videoId: id })).rejects.toThrow();
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
  });
});
