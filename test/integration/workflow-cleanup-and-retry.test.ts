import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { utimes } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CleanupReport } from '../../functions/core/cleanup.ts';
import { REPO_ROOT } from '../../infra/shared/repository.ts';
import { LOCAL_ADMIN_CREDENTIALS, LOCAL_REGION } from '../../infra/local/local-resources.ts';
import {
  executionsOf,
  finalStatus,
  keysUnder,
  objectExists,
  ONE_CUE_SRT,
  sampleClip,
  startHarness,
  submitVideo,
  writeTemp,
  type Harness,
} from '../support/workflow-harness.ts';

/**
 * POST /api/videos/{id}/retry runs a failed video again from its kept upload; the scheduled cleanup removes
 * what runs and uploads left behind — both through the local cloud.
 */
let harness: Harness;
let clip: string;
let subtitles: string;
let service: Server;
let servicePort: number;
let serviceUp = false;
let dynamodb: DynamoDBClient;

beforeAll(async () => {
  service = createServer((_request, response) => {
    if (serviceUp) response.writeHead(200).end(ONE_CUE_SRT);
    else response.writeHead(503).end();
  });
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  servicePort = (service.address() as AddressInfo).port;
  harness = await startHarness({ functionEnv: { SUBTITLE_ALLOWED_HOSTS: `127.0.0.1:${servicePort}` } });
  dynamodb = new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_ADMIN_CREDENTIALS, endpoint: harness.cloud.dynamodbEndpoint });
  clip = await sampleClip(harness, 'clip.mp4', { seconds: 1, width: 192, height: 108 });
  subtitles = await writeTemp(harness, 'one.srt', ONE_CUE_SRT);
});

afterAll(async () => {
  dynamodb?.destroy();
  await harness?.stop();
  service?.closeAllConnections();
  await new Promise((resolve) => service?.close(resolve));
});

async function retry(id: string): Promise<{ status: number; body: { status?: string; error?: { code: string; message: string } } }> {
  const response = await fetch(`${harness.cloud.apiUrl}/videos/${id}/retry`, { method: 'POST' });
  return { status: response.status, body: (await response.json()) as never };
}

/** Makes an object look `hours` old to S3 (s3rver takes an object's age from its file). */
async function age(key: string, hours: number): Promise<void> {
  const when = new Date(Date.now() - hours * 3_600_000);
  await utimes(join(harness.cloud.s3Directory, harness.cloud.bucket, `${key}._S3rver_object`), when, when);
}

async function backdateRecord(id: string, hours: number): Promise<void> {
  await dynamodb.send(
    new UpdateItemCommand({
      TableName: harness.cloud.table,
      Key: { id: { S: id } },
      UpdateExpression: 'SET created_at = :old',
      ExpressionAttributeValues: { ':old': { S: new Date(Date.now() - hours * 3_600_000).toISOString() } },
    }),
  );
}

describe('POST /api/videos/{id}/retry', () => {
  it('runs a failed video again from its kept upload, and it is saved', async () => {
    serviceUp = false;
    const video = await submitVideo(harness, { source: clip, subtitlesUrl: `http://127.0.0.1:${servicePort}/subs.srt` });
    const failed = await finalStatus(harness, video);
    expect(failed.error?.code).toBe('subtitles_unavailable');
    serviceUp = true;

    const accepted = await retry(video.id);
    const saved = await finalStatus(harness, video);

    expect(accepted).toMatchObject({ status: 202, body: { status: 'awaiting_upload' } });
    expect(accepted.body.error).toBeUndefined();
    expect(saved.status).toBe('saved');
    expect(saved.timeline?.map((entry) => entry.status)).toEqual([
      'awaiting_upload',
      'queued',
      'failed',
      'awaiting_upload',
      'queued',
      'processing',
      'saved',
    ]);
    expect(saved.timeline?.[3]?.note).toBe('retry requested');
    const executions = (await executionsOf(harness, video)).sort((a, b) => a.startDate.localeCompare(b.startDate));
    expect(executions.map((execution) => execution.status)).toEqual(['FAILED', 'SUCCEEDED']);
    expect(saved.execution_id).toBe(executions[1]!.executionArn);
    expect(await objectExists(harness, video.sourceKey)).toBe(true);
    expect(await keysUnder(harness, `temp/${video.id}/`)).toEqual([]);
    const events = harness.cloud.events.list().filter((event) => (event.detail as { video_id?: string }).video_id === video.id);
    expect(events.map((event) => event['detail-type'])).toEqual(['VideoFailed', 'VideoSaved']);
  });

  it('refuses a video that is not failed with 409, and an unknown one with 404', async () => {
    const video = await submitVideo(harness, { source: clip, subtitles });
    await finalStatus(harness, video);

    expect(await retry(video.id)).toMatchObject({ status: 409, body: { error: { code: 'conflict', message: expect.stringContaining('saved') } } });
    expect((await retry(randomUUID())).status).toBe(404);
  });
});

describe('the scheduled cleanup', () => {
  it('removes old working files, expires uploads that never came and old sources of saved videos, and keeps the rest', async () => {
    const staleTemp = `temp/${randomUUID()}/subtitles.srt`;
    const freshTemp = `temp/${randomUUID()}/subtitles.srt`;
    for (const key of [staleTemp, freshTemp]) {
      await harness.s3.send(new PutObjectCommand({ Bucket: harness.cloud.bucket, Key: key, Body: ONE_CUE_SRT }));
    }
    await age(staleTemp, 25);
    const abandoned = await harness.api.createVideo({ filename: 'never.mp4', content_type: 'video/mp4', size: 10, subtitles: { source: 'upload' } });
    await backdateRecord(abandoned.video.id, 25);
    const waiting = await harness.api.createVideo({ filename: 'soon.mp4', content_type: 'video/mp4', size: 10, subtitles: { source: 'upload' } });
    const saved = await submitVideo(harness, { source: clip, subtitles });
    await finalStatus(harness, saved);
    const failed = await submitVideo(harness, { source: await writeTemp(harness, 'text.mp4', 'not a video'), subtitles });
    await finalStatus(harness, failed);
    for (const key of [saved.sourceKey, failed.sourceKey]) await age(key, 8 * 24);

    const report = (await harness.cloud.runSchedule('cleanup')) as CleanupReport;

    expect(report).toMatchObject({ temp_objects_deleted: 1, pending_uploads_expired: 1 });
    expect(report.source_objects_deleted).toBeGreaterThanOrEqual(1);
    // s3rver cannot list multipart uploads (a unit test covers that part).
    expect(report.skipped).toEqual(['multipart uploads: this S3 does not implement ListMultipartUploads']);
    expect(await objectExists(harness, staleTemp)).toBe(false);
    expect(await objectExists(harness, freshTemp)).toBe(true);
    expect(await harness.api.getVideo(abandoned.video.id)).toMatchObject({ status: 'failed', error: { code: 'upload_expired' } });
    expect(await harness.api.getVideo(waiting.video.id)).toMatchObject({ status: 'awaiting_upload' });
    expect(await objectExists(harness, saved.sourceKey)).toBe(false);
    expect(await objectExists(harness, `videos/${saved.id}/video.mp4`)).toBe(true);
    expect(await objectExists(harness, failed.sourceKey)).toBe(true);
    // A failed video keeps its source for a retry; an expired one has none.
    expect((await retry(abandoned.video.id)).body.error?.message).toMatch(/no longer stored/);
  });

  it('runs on demand with `npm run cleanup` against the running local cloud, printing its counts', async () => {
    const stale = `temp/${randomUUID()}/subtitles.srt`;
    await harness.s3.send(new PutObjectCommand({ Bucket: harness.cloud.bucket, Key: stale, Body: 'x' }));
    await age(stale, 48);
    const port = new URL(harness.cloud.gatewayUrl).port;
    const env = { ...process.env, PORT: port, MEDIA_BUCKET: '', VIDEOS_TABLE: '' };

    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'infra/local/run-cleanup.ts'], { cwd: REPO_ROOT, env });

    expect(JSON.parse(stdout)).toMatchObject({ temp_objects_deleted: 1, pending_uploads_expired: 0 });
    expect(await objectExists(harness, stale)).toBe(false);
  });
});
