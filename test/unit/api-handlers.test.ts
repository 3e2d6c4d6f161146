import '../support/handler-env.ts';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { dynamodb } from '../../functions/core/clients.ts';
import { handler as createUpload } from '../../functions/api/create-upload.ts';
import { handler as getVideo } from '../../functions/api/get-video.ts';
import { aVideoRecord } from '../support/video-record.ts';
import { apiEvent, lambdaContext } from '../support/api-event.ts';

const ddb = mockClient(dynamodb);
beforeEach(() => ddb.reset());

const validBody = { filename: 'talk.mp4', content_type: 'video/mp4', size: 1_000_000, subtitles: { source: 'upload' } };
const post = (json: unknown, headers?: Record<string, string>) =>
  createUpload(
    apiEvent({ httpMethod: 'POST', resource: '/videos', path: '/videos', json, ...(headers ? { headers } : {}) }),
    lambdaContext,
  );
const parse = (result: { body: string }) => JSON.parse(result.body);

describe('POST /videos', () => {
  it('creates an awaiting_upload record with defaults and answers 201 with two presigned POSTs', async () => {
    ddb.on(PutCommand).resolves({});
    const result = await post(validBody);
    expect(result.statusCode).toBe(201);
    const body = parse(result);
    expect(body.video).toMatchObject({
      filename: 'talk.mp4',
      status: 'awaiting_upload',
      target_resolution: '720p',
      crf: 23,
      preset: 'medium',
    });
    expect(result.headers?.Location).toBe(`/api/videos/${body.video.id}`);
    expect(body.upload).toMatchObject({ method: 'POST', fields: { key: `uploads/${body.video.id}/source.mp4` } });
    expect(body.subtitles_upload.fields.key).toBe(`uploads/${body.video.id}/subtitles.srt`);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'test-videos',
      Item: expect.objectContaining({ id: body.video.id, status: 'awaiting_upload', source_key: `uploads/${body.video.id}/source.mp4` }),
    });
  });

  it('keeps the requested resolution, crf and preset', async () => {
    ddb.on(PutCommand).resolves({});
    const body = parse(await post({ ...validBody, resolution: '1080p', crf: 12, preset: 'veryfast' }));
    expect(body.video).toMatchObject({ target_resolution: '1080p', crf: 12, preset: 'veryfast' });
  });

  it('keeps the subtitle options: missing_glyphs, and subtitle_language in its canonical form ("und" when not given)', async () => {
    ddb.on(PutCommand).resolves({});
    const chosen = parse(await post({ ...validBody, missing_glyphs: 'fail', subtitle_language: 'ZH-hant' }));
    expect(chosen.video).toMatchObject({ missing_glyphs: 'fail', subtitle_language: 'zh-Hant' });
    const defaults = parse(await post(validBody));
    expect(defaults.video).toMatchObject({ missing_glyphs: 'warn', subtitle_language: 'und' });
  });

  it.each([
    ['an unknown missing_glyphs mode', { missing_glyphs: 'ignore' }, 'body.missing_glyphs'],
    ['a subtitle_language that is no language tag', { subtitle_language: 'Chinese please' }, 'body.subtitle_language'],
    ['a CRF above 51', { crf: 52 }, 'body.crf'],
    ['a lossless CRF (0)', { crf: 0 }, 'body.crf'],
    ['a near-lossless CRF (11)', { crf: 11 }, 'body.crf'],
    ['a content_type with CR/LF', { content_type: 'video/mp4\r\nX-Injected: 1' }, 'body.content_type'],
    ['a content_type with NUL', { content_type: 'video/mp4\u0000' }, 'body.content_type'],
    ['a filename with NUL', { filename: 'clip\u0000.mp4' }, 'body.filename'],
    ['a filename with a line break', { filename: 'clip\n.mp4' }, 'body.filename'],
    ['an unknown resolution', { resolution: '4k' }, 'body.resolution'],
    ['a negative size', { size: -1 }, 'body.size'],
    ['an unknown field', { status: 'saved' }, 'body'],
    ['no subtitles', { subtitles: undefined }, 'body.subtitles'],
  ])('refuses %s with 400 validation_failed naming the field', async (_name, change, field) => {
    const result = await post({ ...validBody, ...change });
    expect(result.statusCode).toBe(400);
    const body = parse(result);
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(body.request_id).toBe('req-123');
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
  });

  it('refuses an unsupported file extension with 415', async () => {
    const result = await post({ ...validBody, filename: 'talk.exe' });
    expect(result.statusCode).toBe(415);
    expect(parse(result).error).toMatchObject({ code: 'unsupported_media_type', message: expect.stringContaining('.mp4') });
  });

  it('refuses a non-video content type with 415', async () => {
    const result = await post({ ...validBody, content_type: 'text/plain' });
    expect(parse(result).error.code).toBe('unsupported_media_type');
  });

  it('refuses a video above the size limit with 413', async () => {
    const result = await post({ ...validBody, size: 6 * 1024 ** 3 });
    expect(result.statusCode).toBe(413);
    expect(parse(result).error).toMatchObject({ code: 'payload_too_large', details: { max_size: 5 * 1024 ** 3 } });
  });

  it('answers malformed JSON with 400 and a body that is not JSON at all with 415', async () => {
    const malformed = await createUpload(
      apiEvent({ httpMethod: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"filename":' }),
      lambdaContext,
    );
    expect(malformed.statusCode).toBe(400);
    expect(parse(malformed).error.code).toBe('validation_failed');
    const notJson = await createUpload(apiEvent({ httpMethod: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hi' }), lambdaContext);
    expect(notJson.statusCode).toBe(415);
  });

  it('answers a storage failure with a 500 that leaks nothing', async () => {
    ddb.on(PutCommand).rejects(new Error('arn:aws:dynamodb:eu-west-1:123456789012:table/secret is throttled'));
    const result = await post(validBody);
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('arn:aws');
    expect(parse(result)).toEqual({
      error: { code: 'internal_error', message: expect.stringContaining('request_id') },
      request_id: 'req-123',
    });
  });
});

describe('GET /videos/{id}', () => {
  const id = '0b7f6c3e-1d2a-4c5b-9e8f-7a6b5c4d3e2f';
  const base = aVideoRecord({
    id,
    filename: 'talk.mov',
    content_type: 'video/quicktime',
    status: 'processing',
    source_key: `uploads/${id}/source.mov`,
    progress: 42,
  });
  const get = (videoId: string) =>
    getVideo(apiEvent({ resource: '/videos/{id}', path: `/videos/${videoId}`, pathParameters: { id: videoId } }), lambdaContext);

  it('returns a processing record with its progress and no playback URL', async () => {
    ddb.on(GetCommand).resolves({ Item: base });
    const result = await get(id);
    expect(result.statusCode).toBe(200);
    const body = parse(result);
    expect(body).toMatchObject({ id, status: 'processing', progress: 42 });
    expect(body.playback_url).toBeUndefined();
    expect(body.source_key).toBeUndefined();
  });

  it('adds a presigned playback URL once saved', async () => {
    ddb.on(GetCommand).resolves({
      Item: { ...base, status: 'saved', s3_uri: `s3://test-media/videos/${id}/video.mp4`, resolution: '1280x720', duration: 20, file_size: 5 },
    });
    const body = parse(await get(id));
    const url = new URL(body.playback_url);
    expect(url.pathname).toContain(`videos/${id}/video.mp4`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(body).toMatchObject({ resolution: '1280x720', duration: 20 });
  });

  it('adds presigned URLs of the sidecar subtitles, typed and named after the video, once saved', async () => {
    ddb.on(GetCommand).resolves({
      Item: {
        ...base,
        status: 'saved',
        s3_uri: `s3://test-media/videos/${id}/video.mp4`,
        subtitle_files: { srt: `s3://test-media/videos/${id}/subtitles.srt`, vtt: `s3://test-media/videos/${id}/subtitles.vtt` },
      },
    });
    const body = parse(await get(id));
    const vtt = new URL(body.subtitle_urls.vtt);
    const srt = new URL(body.subtitle_urls.srt);
    expect(vtt.pathname).toContain(`videos/${id}/subtitles.vtt`);
    expect(vtt.searchParams.get('response-content-type')).toBe('text/vtt');
    expect(srt.searchParams.get('response-content-type')).toBe('application/x-subrip');
    expect(srt.searchParams.get('response-content-disposition')).toMatch(/filename=".*\.srt"/);
  });

  it('answers 404 not_found for an unknown id', async () => {
    ddb.on(GetCommand).resolves({});
    const result = await get(id);
    expect(result.statusCode).toBe(404);
    expect(parse(result).error.code).toBe('not_found');
  });

  it('answers 400 for an id that cannot be a video id', async () => {
    const result = await get('not-a-uuid');
    expect(result.statusCode).toBe(400);
    expect(parse(result).error.details[0].field).toBe('path.id');
    expect(ddb).not.toHaveReceivedCommand(GetCommand);
  });
});
