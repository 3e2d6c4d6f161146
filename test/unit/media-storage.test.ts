import { HeadObjectCommand, NotFound, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { presignedSourceLocator, redactSignedUrls } from '../../containers/ffmpeg/src/media-storage.ts';

const s3Mock = mockClient(S3Client);

describe('presignedSourceLocator', () => {
  const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
  const locate = presignedSourceLocator(client);
  const signal = new AbortController().signal;
  afterEach(() => s3Mock.reset());

  it('hands ffmpeg a presigned GET of the source that outlives the longest encode', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 10 });

    const url = new URL(await locate('media', 'uploads/v/source.mp4', 'abc123', signal));

    expect(url.pathname).toContain('uploads/v/source.mp4');
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeGreaterThan(4 * 3600);
    expect(s3Mock).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: 'media', Key: 'uploads/v/source.mp4', IfMatch: '"abc123"' });
  });

  it('reports an upload written over since the claim (412 to If-Match) as SourceChangedError, saying a retry reads the new one', async () => {
    s3Mock.on(HeadObjectCommand).rejects(
      new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 }, message: 'Precondition Failed' }),
    );
    await expect(locate('media', 'uploads/v/source.mp4', 'abc123', signal)).rejects.toMatchObject({
      name: 'SourceChangedError',
      code: 'source_changed',
      message: expect.stringMatching(/replaced while it was being processed; retry/),
    });
  });

  it('reports a source that is gone as InputInvalidError', async () => {
    s3Mock.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    await expect(locate('media', 'uploads/v/source.mp4', 'abc123', signal)).rejects.toMatchObject({ name: 'InputInvalidError' });
  });

  it('reports an empty upload as InputInvalidError without probing it', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 0 });
    await expect(locate('media', 'uploads/v/source.mp4', 'abc123', signal)).rejects.toMatchObject({
      name: 'InputInvalidError',
      message: 'The uploaded file is empty (0 bytes)',
    });
  });

  it.each([
    ['S3 trouble', 'SlowDown', 503, 'StorageUnavailableError', 'which the workflow retries'],
    ['S3 refusing the worker', 'AccessDenied', 403, 'WorkerMisconfiguredError', 'which no retry fixes'],
  ])('reports %s (%s, %i) as %s, %s', async (_what, name, status, expected) => {
    s3Mock.on(HeadObjectCommand).rejects(
      new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name }),
    );
    await expect(locate('media', 'uploads/v/source.mp4', 'abc123', signal)).rejects.toMatchObject({ name: expected });
  });
});

describe('redactSignedUrls', () => {
  it('keeps the signature of a presigned URL out of any text that is logged', () => {
    const url = 'https://media.s3.eu-west-1.amazonaws.com/uploads/v/source.mp4?X-Amz-Signature=abc&X-Amz-Expires=21600';

    expect(redactSignedUrls(`[https @ 0x55] Opening '${url}' for reading`)).toBe(
      "[https @ 0x55] Opening 'https://media.s3.eu-west-1.amazonaws.com/uploads/v/source.mp4?<signature redacted>' for reading",
    );
  });

  it('leaves text without a URL as it is', () => {
    expect(redactSignedUrls('/tmp/source.mp4: Invalid data')).toBe('/tmp/source.mp4: Invalid data');
  });
});
