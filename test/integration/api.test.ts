import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createApiClient, uploadSubtitles, uploadVideo, waitForFinalStatus, type ApiClient } from '../../infra/dev-kit/api-client.ts';
import { startLocalCloud, type LocalCloud } from '../../infra/local/cloud.ts';
import { LOCAL_ADMIN_CREDENTIALS, LOCAL_REGION } from '../../infra/local/local-resources.ts';

/** The two API handlers over HTTP, through the local gateway, against local S3 and DynamoDB. */
let cloud: LocalCloud;
let api: ApiClient;
let s3: S3Client;
let workDir: string;

beforeAll(async () => {
  process.env.LOG_LEVEL = 'silent';
  // No waiting between retries: a missing subtitles file fails after its retries in milliseconds.
  cloud = await startLocalCloud({ port: 0, logger: () => {}, retryIntervalOverrides: { PrepareSubtitles: 0 } });
  api = createApiClient(cloud.apiUrl);
  s3 = new S3Client({
    region: LOCAL_REGION,
    credentials: LOCAL_ADMIN_CREDENTIALS,
    endpoint: cloud.s3Endpoint,
    forcePathStyle: true,
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  workDir = await mkdtemp(join(tmpdir(), 'vidp-api-'));
});

afterAll(async () => {
  s3?.destroy();
  await cloud?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const videoRequest = (overrides: Record<string, unknown> = {}) => ({
  filename: 'lecture.MOV',
  content_type: 'video/quicktime',
  size: 64,
  subtitles: { source: 'upload' },
  ...overrides,
});

async function writeTemp(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(workDir, name);
  await writeFile(path, content);
  return path;
}

describe('POST /api/videos', () => {
  it('creates a record that GET /api/videos/{id} then returns, awaiting its upload', async () => {
    const created = await api.createVideo(videoRequest({ source_video_id: 'upstream-42' }));

    const fetched = await api.getVideo(created.video.id);
    expect(fetched).toMatchObject({
      id: created.video.id,
      status: 'awaiting_upload',
      filename: 'lecture.MOV',
      source_video_id: 'upstream-42',
      target_resolution: '720p',
      crf: 23,
    });
    expect(fetched.playback_url).toBeUndefined();
  });

  it('hands out presigned POSTs that upload to the local S3 under the video\'s keys', async () => {
    const created = await api.createVideo(videoRequest());
    const subtitles = await writeTemp('ok.srt', '1\n00:00:00,000 --> 00:00:01,000\nOlá\n');

    await uploadSubtitles(created, subtitles);

    if (created.upload.method !== 'POST') throw new Error('a 64-byte video uploads with one POST');
    expect(new URL(created.upload.url).origin).toBe(cloud.s3Endpoint);
    const head = await s3.send(new HeadObjectCommand({ Bucket: cloud.bucket, Key: `uploads/${created.video.id}/subtitles.srt` }));
    expect(head.ContentType).toBe('application/x-subrip');
    expect(created.upload.fields.key).toBe(`uploads/${created.video.id}/source.mov`);
  });

  it('answers a bad request with 400, the fields at fault and a request id', async () => {
    const response = await fetch(`${cloud.apiUrl}/videos`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(videoRequest({ crf: 99, resolution: '8k' })),
    });
    const body = (await response.json()) as { error: { code: string; details: { field: string }[] }; request_id: string };

    expect(response.status).toBe(400);
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details.map((detail) => detail.field).sort()).toEqual(['body.crf', 'body.resolution']);
    expect(body.request_id).toMatch(/[0-9a-f-]{36}/);
  });

  it('lets a browser on another origin read the answer (CORS)', async () => {
    const response = await fetch(`${cloud.apiUrl}/videos`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: 'https://app.example' },
      body: JSON.stringify(videoRequest()),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('location')).toMatch(/^\/api\/videos\/[0-9a-f-]{36}$/);
  });
});

describe('GET /api/videos/{id}', () => {
  it('answers 404 not_found for an id nobody created', async () => {
    await expect(api.getVideo('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('answers 400 for something that is not a video id', async () => {
    await expect(api.getVideo('..%2F..%2Fetc')).rejects.toBeInstanceOf(ApiError);
    await expect(api.getVideo('abc')).rejects.toMatchObject({ status: 400, code: 'validation_failed' });
  });
});

describe('a job that cannot succeed ends failed with a readable reason, keeping the source', () => {
  it('a text file named .mov: input_invalid', async () => {
    const created = await api.createVideo(videoRequest());
    await uploadSubtitles(created, await writeTemp('a.srt', '1\n00:00:00,000 --> 00:00:01,000\nHi\n'));
    await uploadVideo(api, created, await writeTemp('fake.mov', 'this is not a video, just text\n'));

    const final = await waitForFinalStatus(api, created.video.id, { timeoutMs: 30_000 });

    expect(final.status).toBe('failed');
    expect(final.error?.code).toBe('input_invalid');
    expect(final.error?.message).toMatch(/could not be read as a video/);
    // ffmpeg reads the source through a presigned URL: neither it nor its signature may reach the user.
    expect(final.error?.message).not.toMatch(/https?:|X-Amz/);
    await expect(s3.send(new HeadObjectCommand({ Bucket: cloud.bucket, Key: `uploads/${created.video.id}/source.mov` }))).resolves.toBeDefined();
  });

  it('subtitles with a broken timestamp: subtitles_invalid naming the line', async () => {
    const created = await api.createVideo(videoRequest());
    await uploadSubtitles(created, await writeTemp('bad.srt', '1\n00:00:01,000 --> 00:00:0x,000\nHi\n'));
    await uploadVideo(api, created, await writeTemp('any.mov', 'never read'));

    const final = await waitForFinalStatus(api, created.video.id, { timeoutMs: 30_000 });

    expect(final.error).toEqual({ code: 'subtitles_invalid', message: expect.stringContaining('line 2') });
  });

  it('a video whose subtitles never arrive: subtitles_missing, after the retries', async () => {
    const created = await api.createVideo(videoRequest());
    await uploadVideo(api, created, await writeTemp('alone.mov', 'no subtitles follow'));

    const final = await waitForFinalStatus(api, created.video.id, { timeoutMs: 30_000 });

    expect(final.error?.code).toBe('subtitles_missing');
    const execution = await cloud.executions.waitFor(final.execution_id!.split(':').pop()!);
    expect(execution.trace.filter((entry) => entry.type === 'StateRetried' && entry.state === 'PrepareSubtitles')).toHaveLength(6);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('subtitles_missing');
  });
});
