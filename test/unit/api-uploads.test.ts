import '../support/handler-env.ts';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  NoSuchUpload,
} from '@aws-sdk/client-s3';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler as abortUpload } from '../../functions/api/abort-upload.ts';
import { handler as completeUpload } from '../../functions/api/complete-upload.ts';
import { handler as createUpload } from '../../functions/api/create-upload.ts';
import { handler as getUpload } from '../../functions/api/get-upload.ts';
import { handler as presignParts } from '../../functions/api/presign-upload-parts.ts';
import { dynamodb, s3 } from '../../functions/core/clients.ts';
import { choosePartSize } from '../../functions/core/create-upload.ts';
import { apiEvent, lambdaContext } from '../support/api-event.ts';
import { aVideoRecord } from '../support/video-record.ts';

const ddb = mockClient(dynamodb);
const s3Mock = mockClient(s3);
beforeEach(() => {
  ddb.reset();
  s3Mock.reset();
});

const MiB = 1024 * 1024;
const parse = (result: { body: string }) => JSON.parse(result.body);
const id = '7b1e2d3c-4a5f-4e6d-8c7b-9a0f1e2d3c4b';
const multipartRecord = aVideoRecord({
  id,
  upload_size: 300 * MiB,
  upload: { method: 'MULTIPART', upload_id: 'upload-1', part_size: 16 * MiB, part_count: 19 },
});
const onVideo = (handler: typeof getUpload, json?: unknown) =>
  handler(apiEvent({ pathParameters: { id }, ...(json === undefined ? {} : { httpMethod: 'POST', json }) }), lambdaContext);

describe('POST /videos above the multipart threshold', () => {
  it('starts a multipart upload and answers its id, part size and part count', async () => {
    ddb.on(PutCommand).resolves({});
    s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-9' });
    const size = 300 * MiB;

    const result = await createUpload(
      apiEvent({ httpMethod: 'POST', json: { filename: 'big.mkv', content_type: 'video/x-matroska', size, subtitles: { source: 'upload' } } }),
      lambdaContext,
    );

    expect(result.statusCode).toBe(201);
    const body = parse(result);
    expect(body.upload).toMatchObject({ method: 'MULTIPART', upload_id: 'upload-9', part_size: 16 * MiB, part_count: 19 });
    expect(body.subtitles_upload.method).toBe('POST');
    expect(s3Mock).toHaveReceivedCommandWith(CreateMultipartUploadCommand, {
      Bucket: 'test-media',
      Key: `uploads/${body.video.id}/source.mkv`,
      ContentType: 'video/x-matroska',
    });
  });

  it('chooses parts of 16 MiB, larger when 10,000 parts would not hold the file', () => {
    expect(choosePartSize(300 * MiB)).toBe(16 * MiB);
    const fiveGiB = 5 * 1024 * MiB;
    expect(choosePartSize(fiveGiB) * 10_000).toBeGreaterThanOrEqual(fiveGiB);
    expect(choosePartSize(200_000 * MiB)).toBe(20 * MiB);
  });
});

describe('POST /videos/{id}/upload/parts', () => {
  it('presigns a PUT per part, for the video\'s key and upload id', async () => {
    ddb.on(GetCommand).resolves({ Item: multipartRecord });
    const body = parse(await onVideo(presignParts, { part_numbers: [2, 1, 2] }));
    expect(body.parts.map((part: { part_number: number }) => part.part_number)).toEqual([1, 2]);
    const url = new URL(body.parts[1].url);
    expect(url.pathname).toContain(`uploads/${id}/source.mp4`);
    expect(url.searchParams.get('uploadId')).toBe('upload-1');
    expect(url.searchParams.get('partNumber')).toBe('2');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
  });

  it('refuses a part number beyond the upload\'s part count', async () => {
    ddb.on(GetCommand).resolves({ Item: multipartRecord });
    const result = await onVideo(presignParts, { part_numbers: [20] });
    expect(result.statusCode).toBe(400);
    expect(parse(result).error.message).toMatch(/parts 1 to 19; no part 20/);
  });

  it('answers 409 for a video that uploads with one POST', async () => {
    ddb.on(GetCommand).resolves({ Item: aVideoRecord({ id, upload: { method: 'POST' } }) });
    const result = await onVideo(presignParts, { part_numbers: [1] });
    expect(result.statusCode).toBe(409);
    expect(parse(result).error.code).toBe('conflict');
  });

  it('answers 409 once the upload is over', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...multipartRecord, status: 'processing' } });
    expect((await onVideo(presignParts, { part_numbers: [1] })).statusCode).toBe(409);
  });
});

describe('GET /videos/{id}/upload', () => {
  it('lists the parts S3 already has, across ListParts pages, so a client can resume', async () => {
    ddb.on(GetCommand).resolves({ Item: multipartRecord });
    s3Mock
      .on(ListPartsCommand)
      .resolvesOnce({ Parts: [{ PartNumber: 1, ETag: '"a"', Size: 16 * MiB }], IsTruncated: true, NextPartNumberMarker: '1' })
      .resolves({ Parts: [{ PartNumber: 3, ETag: '"c"', Size: 16 * MiB }], IsTruncated: false });

    const body = parse(await onVideo(getUpload));

    expect(body).toEqual({
      upload_id: 'upload-1',
      part_size: 16 * MiB,
      part_count: 19,
      parts: [
        { part_number: 1, etag: '"a"', size: 16 * MiB },
        { part_number: 3, etag: '"c"', size: 16 * MiB },
      ],
    });
    expect(s3Mock).toHaveReceivedNthCommandWith(ListPartsCommand, 2, { PartNumberMarker: '1', UploadId: 'upload-1' });
  });

  it('answers 409 when S3 no longer has the upload', async () => {
    ddb.on(GetCommand).resolves({ Item: multipartRecord });
    s3Mock.on(ListPartsCommand).rejects(new NoSuchUpload({ message: 'gone', $metadata: {} }));
    const result = await onVideo(getUpload);
    expect(result.statusCode).toBe(409);
    expect(parse(result).error.message).toMatch(/no longer exists/);
  });
});

describe('POST /videos/{id}/upload/complete', () => {
  const parts = [
    { part_number: 2, etag: 'b' },
    { part_number: 1, etag: '"a"' },
  ];

  it('completes with the parts in order and their ETags quoted', async () => {
    ddb.on(GetCommand).resolves({ Item: multipartRecord });
    s3Mock.on(ListPartsCommand).resolves({ Parts: [{ PartNumber: 1, Size: 16 * MiB }, { PartNumber: 2, Size: 1 * MiB }] });
    s3Mock.on(CompleteMultipartUploadCommand).resolves({});

    const result = await onVideo(completeUpload, { parts });

    expect(result.statusCode).toBe(200);
    expect(s3Mock).toHaveReceivedCommandWith(CompleteMultipartUploadCommand, {
      UploadId: 'upload-1',
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"a"' }, { PartNumber: 2, ETag: '"b"' }] },
    });
  });

  it('refuses parts adding up to more than the declared size, without completing', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...multipartRecord, upload_size: 17 * MiB } });
    s3Mock.on(ListPartsCommand).resolves({ Parts: [{ PartNumber: 1, Size: 16 * MiB }, { PartNumber: 2, Size: 2 * MiB }] });

    const result = await onVideo(completeUpload, { parts });

    expect(result.statusCode).toBe(413);
    expect(parse(result).error).toMatchObject({ code: 'payload_too_large', details: { size: 18 * MiB, declared_size: 17 * MiB } });
    expect(s3Mock).not.toHaveReceivedCommand(CompleteMultipartUploadCommand);
  });

  it('names the parts S3 does not have', async () => {
    ddb.on(GetCommand).resolves({ Item: multipartRecord });
    s3Mock.on(ListPartsCommand).resolves({ Parts: [{ PartNumber: 1, Size: 16 * MiB }] });
    const result = await onVideo(completeUpload, { parts });
    expect(result.statusCode).toBe(400);
    expect(parse(result).error.message).toMatch(/no part 2/);
  });

  it('turns S3\'s refusal of a wrong ETag into a 400', async () => {
    ddb.on(GetCommand).resolves({ Item: multipartRecord });
    s3Mock.on(ListPartsCommand).resolves({ Parts: [{ PartNumber: 1, Size: 16 * MiB }, { PartNumber: 2, Size: 1 }] });
    s3Mock.on(CompleteMultipartUploadCommand).rejects(Object.assign(new Error('One or more of the specified parts could not be found.'), { name: 'InvalidPart' }));
    const result = await onVideo(completeUpload, { parts });
    expect(result.statusCode).toBe(400);
    expect(parse(result).error.details).toEqual({ s3_error: 'InvalidPart' });
  });
});

describe('DELETE /videos/{id}/upload', () => {
  const abort = () => abortUpload(apiEvent({ httpMethod: 'DELETE', pathParameters: { id } }), lambdaContext);

  it('aborts the multipart upload and marks the video failed', async () => {
    ddb.on(GetCommand).resolves({ Item: multipartRecord });
    ddb.on(UpdateCommand).resolves({});
    s3Mock.on(AbortMultipartUploadCommand).resolves({});

    expect((await abort()).statusCode).toBe(204);

    expect(s3Mock).toHaveReceivedCommandWith(AbortMultipartUploadCommand, { UploadId: 'upload-1', Key: `uploads/${id}/source.mp4` });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':error': { code: 'upload_aborted', message: expect.any(String) } }),
    });
  });

  it('answers 204 again once aborted', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...multipartRecord, status: 'failed', error: { code: 'upload_aborted', message: 'x' } } });
    expect((await abort()).statusCode).toBe(204);
    expect(s3Mock).not.toHaveReceivedCommand(AbortMultipartUploadCommand);
  });
});

describe('POST /videos with a client_token', () => {
  const request = { filename: 'talk.mp4', content_type: 'video/mp4', size: 1000, subtitles: { source: 'upload' }, client_token: 'order-1234-attempt' };
  const post = (json: unknown) => createUpload(apiEvent({ httpMethod: 'POST', json }), lambdaContext);

  it('gives the same token the same video id, every time', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    const first = parse(await post(request));
    const second = parse(await post(request));
    expect(first.video.id).toBe(second.video.id);
    expect(first.video.client_token).toBeUndefined();
  });

  it('returns the existing video to a retry instead of creating a second one', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    const { video } = parse(await post(request));
    ddb.reset();
    ddb.on(GetCommand).resolves({ Item: aVideoRecord({ id: video.id, filename: 'talk.mp4', upload_size: 1000, client_token: request.client_token, upload: { method: 'POST' } }) });

    const retry = await post(request);

    expect(retry.statusCode).toBe(201);
    expect(parse(retry).video.id).toBe(video.id);
    expect(parse(retry).upload.fields.key).toBe(`uploads/${video.id}/source.mp4`);
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
  });

  it('returns the winner to the loser of two racing identical requests', async () => {
    const winner = aVideoRecord({ filename: 'talk.mp4', upload_size: 1000, client_token: request.client_token });
    ddb.on(GetCommand).resolvesOnce({}).resolves({ Item: winner });
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    const result = await post(request);
    expect(result.statusCode).toBe(201);
    expect(parse(result).video.id).toBe(winner.id);
  });

  it('refuses the token with a different request, naming what differs', async () => {
    ddb.on(GetCommand).resolves({ Item: aVideoRecord({ filename: 'talk.mp4', upload_size: 999, client_token: request.client_token }) });
    const result = await post(request);
    expect(result.statusCode).toBe(409);
    expect(parse(result).error).toMatchObject({ code: 'conflict', details: { fields: ['size'] } });
  });

  it('refuses to hand out upload URLs again once the video has been uploaded', async () => {
    ddb.on(GetCommand).resolves({ Item: aVideoRecord({ filename: 'talk.mp4', upload_size: 1000, status: 'processing' }) });
    const result = await post(request);
    expect(result.statusCode).toBe(409);
    expect(parse(result).error.details.status).toBe('processing');
  });
});

describe('POST /videos with subtitles from a URL', () => {
  it('stores the URL for the workflow and hands out no subtitles upload', async () => {
    ddb.on(PutCommand).resolves({});
    const result = await createUpload(
      apiEvent({
        httpMethod: 'POST',
        json: { filename: 'a.webm', content_type: 'video/webm', size: 10, subtitles: { source: 'url', url: 'https://subs.example/v/1.srt' } },
      }),
      lambdaContext,
    );
    const body = parse(result);
    expect(body.video.subtitles).toEqual({ source: 'url', url: 'https://subs.example/v/1.srt' });
    expect(body.subtitles_upload).toBeUndefined();
  });

  it.each([['ftp://subs.example/1.srt'], ['https://user:secret@subs.example/1.srt'], ['not a url']])(
    'refuses %s',
    async (url) => {
      const result = await createUpload(
        apiEvent({ httpMethod: 'POST', json: { filename: 'a.mp4', content_type: 'video/mp4', size: 10, subtitles: { source: 'url', url } } }),
        lambdaContext,
      );
      expect(result.statusCode).toBe(400);
      expect(parse(result).error.details[0].field).toBe('body.subtitles.url');
    },
  );
});
