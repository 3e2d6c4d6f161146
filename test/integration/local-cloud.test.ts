import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetBucketCorsCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../infra/local/cloud.ts';
import type { ExecutionRecord } from '../../infra/local/stepfunctions/execution-registry.ts';
import { LocalEventBus } from '../../infra/local/events/event-bus.ts';
import { createLocalIntegrations } from '../../infra/local/stepfunctions/integrations/all-integrations.ts';
import { LOCAL_ADMIN_CREDENTIALS, LOCAL_REGION, LOCAL_SUBSTITUTIONS } from '../../infra/local/local-resources.ts';
import { integrationFor } from '../../infra/local/stepfunctions/task-integration.ts';
import { loadPipelineDefinition } from '../../infra/local/stepfunctions/state-machine.ts';
import { placeholdersIn, readPipelineDefinition, taskStatesOf } from '../../infra/shared/pipeline-definition.ts';

describe('local cloud', () => {
  let cloud: LocalCloud;
  let s3: S3Client;
  let dynamodb: DynamoDBClient;
  const log: string[] = [];

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, logger: (line) => log.push(line) });
    const clientConfig = { region: LOCAL_REGION, credentials: LOCAL_ADMIN_CREDENTIALS };
    s3 = new S3Client({
      ...clientConfig,
      endpoint: cloud.s3Endpoint,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    dynamodb = new DynamoDBClient({ ...clientConfig, endpoint: cloud.dynamodbEndpoint });
  });

  afterAll(async () => {
    s3?.destroy();
    dynamodb?.destroy();
    await cloud?.stop();
  });

  /** The execution an upload of `key` started, once it has ended. */
  async function executionFor(key: string): Promise<ExecutionRecord> {
    const started = await vi.waitUntil(() => cloud.executions.list().find((execution) => uploadedKey(execution) === key), {
      timeout: 5_000,
      interval: 20,
    });
    return cloud.executions.waitFor(started.name);
  }

  describe('resources', () => {
    it('creates the media bucket with CORS rules that let a browser upload and read the ETag', async () => {
      const { CORSRules } = await s3.send(new GetBucketCorsCommand({ Bucket: cloud.bucket }));

      expect(CORSRules).toEqual([
        expect.objectContaining({
          AllowedOrigins: ['*'],
          AllowedMethods: expect.arrayContaining(['GET', 'PUT', 'POST']),
          ExposeHeaders: ['ETag'],
        }),
      ]);
    });

    it('creates the videos table keyed by id, with the three indexes the repository queries', async () => {
      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: cloud.table }));

      expect(Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
      const indexes = Object.fromEntries(
        (Table?.GlobalSecondaryIndexes ?? []).map((index) => [index.IndexName, index.KeySchema?.map((key) => key.AttributeName)]),
      );
      expect(indexes).toEqual({
        'status-created_at-index': ['status', 'created_at'],
        'source_video_id-index': ['source_video_id', 'created_at'],
        'filename-index': ['filename', 'created_at'],
      });
    });

    it('pages through a listing (s3rver needs DES for its continuation tokens)', async () => {
      const prefix = `temp/${randomUUID()}/`;
      for (const name of ['a', 'b', 'c']) {
        await s3.send(new PutObjectCommand({ Bucket: cloud.bucket, Key: `${prefix}${name}`, Body: name }));
      }

      const first = await s3.send(new ListObjectsV2Command({ Bucket: cloud.bucket, Prefix: prefix, MaxKeys: 2 }));
      const second = await s3.send(
        new ListObjectsV2Command({ Bucket: cloud.bucket, Prefix: prefix, MaxKeys: 2, ContinuationToken: first.NextContinuationToken }),
      );

      expect([...(first.Contents ?? []), ...(second.Contents ?? [])].map((object) => object.Key)).toEqual(
        ['a', 'b', 'c'].map((name) => `${prefix}${name}`),
      );
    });
  });

  describe('the workflow definition', () => {
    it('has a local value for every placeholder of the ASL', () => {
      const placeholders = placeholdersIn(readPipelineDefinition());

      expect(placeholders.length).toBeGreaterThan(0);
      expect(placeholders.filter((name) => !(name in LOCAL_SUBSTITUTIONS))).toEqual([]);
    });

    it('has a local integration for the resource of every Task state', () => {
      const integrations = createLocalIntegrations({
        dynamodb,
        s3,
        loadHandler: () => Promise.reject(new Error('not called')),
        ecs: { runTaskAndWaitForTaskToken: () => Promise.reject(new Error('not called')) },
        events: new LocalEventBus(() => {}),
      });

      const tasks = taskStatesOf(loadPipelineDefinition());

      expect(tasks.length).toBeGreaterThan(0);
      expect(tasks.filter((task) => integrationFor(integrations, task.resource) === undefined)).toEqual([]);
    });
  });

  describe('uploads start the pipeline', () => {
    it('starts an execution for a source video and, when no record waits for it (its video was deleted), removes the upload', async () => {
      const key = `uploads/${randomUUID()}/source.mp4`;

      await s3.send(new PutObjectCommand({ Bucket: cloud.bucket, Key: key, Body: 'not really a video' }));
      const execution = await executionFor(key);

      expect(execution.status).toBe('SUCCEEDED');
      expect(execution.input).toMatchObject({
        'detail-type': 'Object Created',
        source: 'aws.s3',
        resources: [`arn:aws:s3:::${cloud.bucket}`],
        detail: { bucket: { name: cloud.bucket }, object: { key, size: 18 }, reason: 'PutObject' },
      });
      expect(execution.trace.filter((entry) => entry.type === 'StateEntered').map((entry) => entry.state)).toEqual([
        'ReadUploadEvent',
        'ClaimJob',
        'FindUnclaimedRecord',
        'IsUploadOrphaned',
        'DeleteOrphanedUpload',
        'IgnoreDuplicateUpload',
      ]);
      expect(execution.trace).toContainEqual(
        expect.objectContaining({ type: 'StateFailed', state: 'ClaimJob', error: 'DynamoDB.ConditionalCheckFailedException' }),
      );
      expect(execution.trace.at(-1)).toMatchObject({ type: 'StateExited', state: 'IgnoreDuplicateUpload' });
      await expect(s3.send(new HeadObjectCommand({ Bucket: cloud.bucket, Key: key }))).rejects.toMatchObject({ name: 'NotFound' });
    });

    it('does not start an execution for the subtitles uploaded beside the video', async () => {
      const videoId = randomUUID();
      const subtitlesKey = `uploads/${videoId}/subtitles.srt`;
      const sourceKey = `uploads/${videoId}/source.mp4`;

      await s3.send(new PutObjectCommand({ Bucket: cloud.bucket, Key: subtitlesKey, Body: '1\n00:00:00,000 --> 00:00:01,000\nHi\n' }));
      // Events are delivered in order: once the source's execution exists, the subtitles' would too.
      await s3.send(new PutObjectCommand({ Bucket: cloud.bucket, Key: sourceKey, Body: 'video' }));
      await executionFor(sourceKey);

      expect(cloud.executions.list().filter((execution) => uploadedKey(execution) === subtitlesKey)).toEqual([]);
    });

    it('starts the pipeline for a browser form upload (presigned POST)', async () => {
      const key = `uploads/${randomUUID()}/source.webm`;
      const { url, fields } = await createPresignedPost(s3, { Bucket: cloud.bucket, Key: key, Expires: 60 });
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append('file', new Blob(['posted video']), 'video.webm');

      const response = await fetch(url, { method: 'POST', body: form });
      const execution = await executionFor(key);

      expect(response.ok).toBe(true);
      expect(execution.input).toMatchObject({ detail: { object: { key, size: 12 }, reason: 'POST Object' } });
    });

    it('starts the pipeline for a completed multipart upload', async () => {
      const key = `uploads/${randomUUID()}/source.mkv`;
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: cloud.bucket, Key: key }));
      const { ETag } = await s3.send(
        new UploadPartCommand({ Bucket: cloud.bucket, Key: key, UploadId, PartNumber: 1, Body: 'only part' }),
      );

      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: cloud.bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: [{ ETag, PartNumber: 1 }] },
        }),
      );
      const execution = await executionFor(key);

      expect(execution.input).toMatchObject({ detail: { object: { key }, reason: 'CompleteMultipartUpload' } });
    });

    it('starts the pipeline for a copy, with the ETag that s3rver leaves out of its notification', async () => {
      const original = `temp/${randomUUID()}/original.mp4`;
      const key = `uploads/${randomUUID()}/source.mov`;
      const { ETag } = await s3.send(new PutObjectCommand({ Bucket: cloud.bucket, Key: original, Body: 'copied video' }));

      await s3.send(new CopyObjectCommand({ Bucket: cloud.bucket, Key: key, CopySource: `${cloud.bucket}/${original}` }));
      const execution = await executionFor(key);

      expect(execution.input).toMatchObject({
        detail: { object: { key, etag: ETag?.replaceAll('"', '') }, reason: 'CopyObject' },
      });
    });
  });

  describe('gateway', () => {
    it('answers an unknown API route with a JSON 404', async () => {
      const response = await fetch(`${cloud.apiUrl}/no-such-thing`);

      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: 'not_found' }, request_id: expect.any(String) });
    });

    it('answers a known path with the wrong method with 405 and the allowed methods', async () => {
      const response = await fetch(`${cloud.apiUrl}/videos`, { method: 'PUT' });

      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toContain('POST');
      expect(await response.json()).toMatchObject({ error: { code: 'method_not_allowed' } });
    });

    it('answers a CORS preflight like API Gateway configured with CORS', async () => {
      const response = await fetch(`${cloud.apiUrl}/videos`, {
        method: 'OPTIONS',
        headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST' },
      });

      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('access-control-allow-methods')).toContain('POST');
      expect(response.headers.get('access-control-allow-headers')).toContain('Content-Type');
      expect(response.headers.get('access-control-max-age')).not.toBeNull();
    });

    it('refuses a body over API Gateway’s 10 MB limit with 413', async () => {
      const response = await fetch(`${cloud.apiUrl}/videos`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: 'x'.repeat(10 * 1024 * 1024 + 1),
      });

      expect(response.status).toBe(413);
    });

    it('lists the executions with their trace under /_local/executions', async () => {
      const key = `uploads/${randomUUID()}/source.mp4`;
      await s3.send(new PutObjectCommand({ Bucket: cloud.bucket, Key: key, Body: 'video' }));
      const { name } = await executionFor(key);

      const list = (await (await fetch(`${cloud.gatewayUrl}/_local/executions`)).json()) as ExecutionRecord[];
      const one = (await (await fetch(`${cloud.gatewayUrl}/_local/executions/${name}`)).json()) as ExecutionRecord;

      expect(list.map((execution) => execution.name)).toContain(name);
      expect(one).toMatchObject({ name, status: 'SUCCEEDED', trace: expect.arrayContaining([expect.objectContaining({ state: 'ClaimJob' })]) });
    });

    it('describes the local endpoints under /_local/info', async () => {
      const info = await (await fetch(`${cloud.gatewayUrl}/_local/info`)).json();

      expect(info).toMatchObject({ apiUrl: cloud.apiUrl, s3Endpoint: cloud.s3Endpoint, bucket: cloud.bucket, table: cloud.table });
    });
  });

  it('logs each state transition of an execution', async () => {
    const key = `uploads/${randomUUID()}/source.mp4`;

    await s3.send(new PutObjectCommand({ Bucket: cloud.bucket, Key: key, Body: 'video' }));
    const { name } = await executionFor(key);

    const lines = log.filter((line) => line.startsWith(`[exec ${name.slice(0, 8)}] `));
    expect(lines).toEqual([
      expect.stringMatching(/ started for uploads\/.+\/source\.mp4$/),
      expect.stringMatching(/ → ReadUploadEvent$/),
      expect.stringMatching(/ ReadUploadEvent ✓ \d+ ms$/),
      expect.stringMatching(/ → ClaimJob$/),
      expect.stringMatching(/ ClaimJob ✗ \d+ ms — DynamoDB\.ConditionalCheckFailedException: /),
      expect.stringMatching(/ ClaimJob caught → FindUnclaimedRecord$/),
      expect.stringMatching(/ → FindUnclaimedRecord$/),
      expect.stringMatching(/ FindUnclaimedRecord ✓ \d+ ms$/),
      expect.stringMatching(/ → IsUploadOrphaned$/),
      expect.stringMatching(/ IsUploadOrphaned ✓ \d+ ms$/),
      expect.stringMatching(/ → DeleteOrphanedUpload$/),
      expect.stringMatching(/ DeleteOrphanedUpload ✓ \d+ ms$/),
      expect.stringMatching(/ → IgnoreDuplicateUpload$/),
      expect.stringMatching(/ IgnoreDuplicateUpload ✓ \d+ ms$/),
      expect.stringMatching(/ SUCCEEDED in \d+ ms$/),
    ]);
  });
});

function uploadedKey(execution: ExecutionRecord): unknown {
  return (execution.input as { detail?: { object?: { key?: unknown } } }).detail?.object?.key;
}
