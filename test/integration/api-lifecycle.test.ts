import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiClient, uploadSubtitles, uploadVideo, waitForFinalStatus, type ApiClient } from '../../infra/dev-kit/api-client.ts';
import { startLocalCloud, type LocalCloud } from '../../infra/local/cloud.ts';
import { LOCAL_ADMIN_CREDENTIALS, LOCAL_REGION } from '../../infra/local/local-resources.ts';
import { makeSampleClip, writeSrt } from '../../infra/dev-kit/sample-media.ts';

/**
 * The video API end to end over HTTP, through the local gateway, with the real workflow behind it:
 * both ways to upload, listing by each index across pages, playback with Range, deletion.
 */
const MiB = 1024 * 1024;
let cloud: LocalCloud;
let api: ApiClient;
let s3: S3Client;
let dynamodb: DynamoDBClient;
let workDir: string;
const files = { small: '', large: '', subtitles: '' };
const runTag = randomUUID().slice(0, 8);
const cloudLog: string[] = [];

beforeAll(async () => {
  process.env.LOG_LEVEL = 'silent';
  cloud = await startLocalCloud({
    port: 0,
    logger: (line) => cloudLog.push(line),
    // Multipart above 10 MiB, so a 20-odd MiB clip uploads in two 16 MiB parts.
    functionEnv: { MULTIPART_THRESHOLD_BYTES: String(10 * MiB) },
    // Heartbeats every second: a worker whose execution was stopped notices within a second.
    workerEnv: { HEARTBEAT_INTERVAL_SECONDS: '1' },
  });
  api = createApiClient(cloud.apiUrl);
  const clientConfig = { region: LOCAL_REGION, credentials: LOCAL_ADMIN_CREDENTIALS };
  s3 = new S3Client({ ...clientConfig, endpoint: cloud.s3Endpoint, forcePathStyle: true, responseChecksumValidation: 'WHEN_REQUIRED' });
  dynamodb = new DynamoDBClient({ ...clientConfig, endpoint: cloud.dynamodbEndpoint });
  workDir = await mkdtemp(join(tmpdir(), 'vidp-lifecycle-'));
  files.small = join(workDir, 'small.mp4');
  files.large = join(workDir, 'large.mp4');
  files.subtitles = join(workDir, 'subtitles.srt');
  await Promise.all([
    makeSampleClip(files.small, { seconds: 2, width: 320, height: 240 }),
    // 1080p at high quality: nine seconds weigh over 16 MiB, two parts.
    makeSampleClip(files.large, { seconds: 9, width: 1920, height: 1080 }),
    writeSrt(files.subtitles, [{ startSeconds: 0.2, endSeconds: 1.5, text: 'Olá' }]),
  ]);
});

afterAll(async () => {
  s3?.destroy();
  dynamodb?.destroy();
  await cloud?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const baseRequest = async (path: string, extra: Record<string, unknown> = {}) => ({
  filename: 'clip.mp4',
  content_type: 'video/mp4',
  size: (await stat(path)).size,
  resolution: '360p',
  preset: 'ultrafast',
  subtitles: { source: 'upload' },
  ...extra,
});

async function putPart(url: string, body: Buffer): Promise<string> {
  const response = await fetch(url, { method: 'PUT', body });
  expect(response.status).toBe(200);
  return response.headers.get('etag') ?? '';
}

async function objectsOf(id: string): Promise<string[]> {
  const keys: string[] = [];
  for (const prefix of [`uploads/${id}/`, `temp/${id}/`, `videos/${id}/`]) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: cloud.bucket, Prefix: prefix }));
    keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
  }
  return keys;
}

describe('uploads', () => {
  let savedId = '';

  it('a small video: one presigned POST, then processed to saved', async () => {
    const created = await api.createVideo(await baseRequest(files.small, { source_video_id: `src-${runTag}` }));
    expect(created.upload.method).toBe('POST');
    await uploadSubtitles(created, files.subtitles);
    await uploadVideo(api, created, files.small);

    const final = await waitForFinalStatus(api, created.video.id, { timeoutMs: 60_000 });

    expect(final.status).toBe('saved');
    savedId = final.id;
  });

  it('a large video: multipart, resumed after a "reload", then processed to saved', async () => {
    const created = await api.createVideo(await baseRequest(files.large));
    if (created.upload.method !== 'MULTIPART') throw new Error(`expected a multipart upload, got ${created.upload.method}`);
    const { part_size: partSize, part_count: partCount } = created.upload;
    expect(partCount).toBe(2);
    const id = created.video.id;
    const bytes = await readFile(files.large);
    const partBody = (number: number) => bytes.subarray((number - 1) * partSize, number * partSize);
    await uploadSubtitles(created, files.subtitles);

    // First session: part 1 only, then the page "reloads".
    const first = await call<{ parts: { part_number: number; url: string }[] }>('POST', `/videos/${id}/upload/parts`, { part_numbers: [1] });
    await putPart(first.parts[0]!.url, partBody(1));

    // Second session: ask S3 what it has, send the rest, complete.
    const state = await call<{ parts: { part_number: number; etag: string; size: number }[] }>('GET', `/videos/${id}/upload`);
    expect(state.parts.map((part) => part.part_number)).toEqual([1]);
    expect(state.parts[0]!.size).toBe(partSize);
    const missing = Array.from({ length: partCount }, (_, index) => index + 1).filter(
      (number) => !state.parts.some((part) => part.part_number === number),
    );
    const second = await call<{ parts: { part_number: number; url: string }[] }>('POST', `/videos/${id}/upload/parts`, { part_numbers: missing });
    const etags = await Promise.all(second.parts.map(async (part) => ({ part_number: part.part_number, etag: await putPart(part.url, partBody(part.part_number)) })));
    await call('POST', `/videos/${id}/upload/complete`, { parts: [...state.parts.map(({ part_number, etag }) => ({ part_number, etag })), ...etags] });

    const final = await waitForFinalStatus(api, id, { timeoutMs: 120_000 });

    expect(final.status).toBe('saved');
    expect(final.resolution).toBe('640x360');
  });

  it('an aborted multipart upload ends failed and lets go of its parts', async () => {
    const created = await api.createVideo(await baseRequest(files.large));
    const id = created.video.id;
    const { parts } = await call<{ parts: { url: string }[] }>('POST', `/videos/${id}/upload/parts`, { part_numbers: [1] });
    await putPart(parts[0]!.url, Buffer.alloc(1024));

    const aborted = await fetch(`${cloud.apiUrl}/videos/${id}/upload`, { method: 'DELETE' });

    expect(aborted.status).toBe(204);
    expect((await api.getVideo(id)).error?.code).toBe('upload_aborted');
    const resumed = await fetch(`${cloud.apiUrl}/videos/${id}/upload`);
    expect(resumed.status).toBe(409);
  });

  it('the playback URL of a saved video answers a Range request with 206', async () => {
    const playback = await call<{ url: string }>('GET', `/videos/${savedId}/playback`);
    const response = await fetch(playback.url, { headers: { Range: 'bytes=0-99' } });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-type')).toBe('video/mp4');
    expect((await response.arrayBuffer()).byteLength).toBe(100);

    const redirect = await fetch(`${cloud.apiUrl}/videos/${savedId}/playback?redirect=1`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.*video\.mp4\?/);
  });

  it('the playback URL of a video named with an emoji answers 200 and 206: its ASCII-only Content-Disposition is signed like any query', async () => {
    const filename = 'Präsentation 🎬 \u200fמצגת.mp4';
    await call('PATCH', `/videos/${savedId}`, { filename });
    const playback = await call<{ url: string }>('GET', `/videos/${savedId}/playback`);
    expect(new URL(playback.url).searchParams.get('response-content-disposition')).toContain("filename*=UTF-8''");

    const whole = await fetch(playback.url);
    const range = await fetch(playback.url, { headers: { Range: 'bytes=0-99' } });

    expect(whole.status).toBe(200);
    await whole.arrayBuffer();
    expect(range.status).toBe(206);
    expect((await range.arrayBuffer()).byteLength).toBe(100);
    const disposition = range.headers.get('content-disposition') ?? '';
    expect(disposition).toMatch(/^inline; filename="[\x20-\x7e]+"; filename\*=UTF-8''/);
    expect(decodeURIComponent(disposition.split("filename*=UTF-8''")[1]!)).toBe(filename);
  });

  it('deleting a video while it is processed stops its execution and its task; once its worker has stopped nothing is left', async () => {
    // 1080p at preset slow: an encode long enough to delete in the middle of it.
    const created = await api.createVideo(await baseRequest(files.large, { resolution: '1080p', preset: 'slow' }));
    const id = created.video.id;
    await uploadSubtitles(created, files.subtitles);
    await uploadVideo(api, created, files.large);
    const processing = await vi.waitUntil(
      async () => {
        const video = await api.getVideo(id);
        return video.status === 'processing' && (video.progress ?? 0) > 0 && video;
      },
      { timeout: 60_000, interval: 100 },
    );

    expect((await fetch(`${cloud.apiUrl}/videos/${id}`, { method: 'DELETE' })).status).toBe(204);

    const execution = await cloud.executions.waitFor(processing.execution_id!.split(':').pop()!);
    expect(execution).toMatchObject({ status: 'ABORTED', error: 'VideoDeleted' });
    await vi.waitUntil(() => cloudLog.some((line) => line.includes(`[worker ${id}] exited`)), { timeout: 60_000, interval: 100 });
    // Stopped by StopTask (SIGTERM at once), not left to find out at its next heartbeat.
    expect(cloudLog).toContainEqual(expect.stringMatching(new RegExp(`\\[worker ${id}\\] StopTask: The video was deleted`)));
    // The execution was stopped before the task: the worker's SIGTERM report (TaskInterruptedError) finds nobody
    // waiting, or a heartbeat told it so first and it reports nothing; either way the stopped execution stays so.
    expect(cloudLog).toContainEqual(
      expect.stringMatching(new RegExp(`\\[worker ${id}\\].*(nobody waits for this task any more|job abandoned, nothing reported).*TaskInterruptedError`)),
    );
    expect(cloud.executions.list().filter((run) => run.name === execution.name).map((run) => run.status)).toEqual(['ABORTED']);
    expect(await objectsOf(id)).toEqual([]);
    await expect(api.getVideo(id)).rejects.toMatchObject({ status: 404 });
  });

  it('deleting a saved video leaves no object and no record behind, and deleting again is fine', async () => {
    expect((await objectsOf(savedId)).length).toBeGreaterThan(0);

    expect((await fetch(`${cloud.apiUrl}/videos/${savedId}`, { method: 'DELETE' })).status).toBe(204);

    expect(await objectsOf(savedId)).toEqual([]);
    const item = await dynamodb.send(new GetItemCommand({ TableName: cloud.table, Key: { id: { S: savedId } } }));
    expect(item.Item).toBeUndefined();
    await expect(api.getVideo(savedId)).rejects.toMatchObject({ status: 404 });
    expect((await fetch(`${cloud.apiUrl}/videos/${savedId}`, { method: 'DELETE' })).status).toBe(204);
  });
});

describe('listing, over each index, across pages', () => {
  const filename = `listing-${runTag}.mp4`;
  const sourceVideoId = `listing-src-${runTag}`;
  const created: string[] = [];

  beforeAll(async () => {
    // One after the other: created_at orders them, newest last.
    for (let index = 0; index < 5; index += 1) {
      const { video } = await api.createVideo({ ...(await baseRequest(files.small)), filename, source_video_id: sourceVideoId });
      created.push(video.id);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });

  async function listAll(query: string): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await call<{ videos: { id: string }[]; next_cursor?: string }>(
        'GET',
        `/videos?${query}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      ids.push(...page.videos.map((video) => video.id));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor !== undefined);
    return { ids, pages };
  }

  it('by filename: all five, newest first, two per page', async () => {
    const { ids, pages } = await listAll(`filename=${encodeURIComponent(filename)}`);
    expect(ids).toEqual([...created].reverse());
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('by source_video_id: the same five', async () => {
    const { ids } = await listAll(`source_video_id=${encodeURIComponent(sourceVideoId)}`);
    expect(ids).toEqual([...created].reverse());
  });

  it('by status: every awaiting_upload video, ours among them, in created_at order', async () => {
    const { ids } = await listAll('status=awaiting_upload');
    expect(ids).toEqual(expect.arrayContaining(created));
    expect(ids.filter((id) => created.includes(id))).toEqual([...created].reverse());
  });

  it('a PATCH shows in the next listing by the new filename', async () => {
    const id = created[0]!;
    const renamed = `renamed-${runTag}.mp4`;
    await call('PATCH', `/videos/${id}`, { filename: renamed, title: 'Renamed', tags: ['a', 'b'] });
    const { ids } = await listAll(`filename=${encodeURIComponent(renamed)}`);
    expect(ids).toEqual([id]);
    expect(await api.getVideo(id)).toMatchObject({ filename: renamed, title: 'Renamed', tags: ['a', 'b'] });
  });
});

describe('the gateway and the OpenAPI document', () => {
  it('serves every route the OpenAPI document describes', async () => {
    const document = await call<{ paths: Record<string, Record<string, unknown>> }>('GET', '/openapi.json');
    const unserved: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const method of Object.keys(operations)) {
        const url = `${cloud.apiUrl}${path.replace('{id}', randomUUID())}`;
        const response = await fetch(url, { method: method.toUpperCase(), headers: { 'Content-Type': 'application/json' }, body: method === 'get' || method === 'delete' ? undefined : '{}' });
        const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
        if (response.status === 405 || /No route for|No resource at/.test(body.error?.message ?? '')) unserved.push(`${method} ${path}`);
      }
    }
    expect(unserved).toEqual([]);
    expect(Object.keys(document.paths).length).toBeGreaterThanOrEqual(8);
  });

  it('reports itself healthy with its version', async () => {
    const health = await call<{ status: string; version: string; s3: string; dynamodb: string }>('GET', '/health');
    expect(health).toEqual({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/), s3: 'ok', dynamodb: 'ok' });
  });
});

async function call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${cloud.apiUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const payload = (await response.json()) as T;
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(payload)}`);
  return payload;
}
