import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlineDisposition, presignPlayback, presignUpload } from '../../functions/core/storage.ts';
import { strictS3Middlewares, useAtomicStore } from '../../infra/local/s3/strict-s3-middlewares.ts';

const BUCKET = 'media';
const REGION = 'us-east-1';
const ROLE = { accessKeyId: 'AKIDWORKER', secretAccessKey: 'worker-secret' } as const;
const CORS = '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader></CORSRule></CORSConfiguration>';

/** s3rver with the strict middlewares ahead of its own and the atomic store, as infra/local/s3/local-s3.ts wires them. */
async function startStrictS3(clock: () => Date) {
  const directory = await mkdtemp(join(tmpdir(), 'vidp-strict-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: BUCKET, configs: [CORS] }] });
  useAtomicStore(server, directory);
  const secrets = new Map<string, string>([[ROLE.accessKeyId, ROLE.secretAccessKey]]);
  server.middleware.unshift(...strictS3Middlewares({ lookupSecret: (id) => secrets.get(id), region: REGION, now: clock }));
  const events: { eventName: string; s3: { object: { key: string } } }[] = [];
  server.on('event', (event: { Records: typeof events }) => events.push(...event.Records));
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    directory,
    events,
    async stop() {
      server.httpServer?.closeAllConnections();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

type StrictS3 = Awaited<ReturnType<typeof startStrictS3>>;

function clientFor(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string } = ROLE) {
  return new S3Client({
    endpoint,
    region: REGION,
    credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
}

async function errorOf(response: Response): Promise<{ status: number; code?: string; message?: string }> {
  const body = await response.text();
  return { status: response.status, code: /<Code>([^<]*)<\/Code>/.exec(body)?.[1], message: /<Message>([^<]*)<\/Message>/.exec(body)?.[1] };
}

async function partialFilesIn(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true });
  return entries.filter((name) => name.endsWith('.partial'));
}

describe('the local S3, made strict', () => {
  let s3: StrictS3;
  let client: S3Client;
  let clockOffsetMs = 0;
  const clock = () => new Date(Date.now() + clockOffsetMs);

  beforeAll(async () => {
    s3 = await startStrictS3(clock);
    client = clientFor(s3.endpoint);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'fixtures/ten.bin', Body: '0123456789' }));
  });
  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
  });

  describe('refuses what carries no signature', () => {
    it.each([
      ['PUT', '/media/anonymous.txt'],
      ['GET', '/media/fixtures/ten.bin'],
      ['GET', '/media?list-type=2'],
      ['DELETE', '/media/fixtures/ten.bin'],
    ])('%s %s is 403 AccessDenied', async (method, path) => {
      const response = await fetch(`${s3.endpoint}${path}`, { method, ...(method === 'PUT' ? { body: 'x' } : {}) });
      expect(await errorOf(response)).toEqual({ status: 403, code: 'AccessDenied', message: 'Access Denied' });
    });

    it('left the object it was asked to delete anonymously where it was', async () => {
      await fetch(`${s3.endpoint}/media/fixtures/ten.bin`, { method: 'DELETE' });
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'fixtures/ten.bin' }));
      expect(head.ContentLength).toBe(10);
    });

    it('refuses an access key id it never issued as InvalidAccessKeyId, and a wrong secret as SignatureDoesNotMatch', async () => {
      const stranger = clientFor(s3.endpoint, { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'x' });
      const impostor = clientFor(s3.endpoint, { accessKeyId: ROLE.accessKeyId, secretAccessKey: 'guessed' });
      await expect(stranger.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'fixtures/ten.bin' }))).rejects.toMatchObject({
        name: 'InvalidAccessKeyId',
      });
      await expect(impostor.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'fixtures/ten.bin' }))).rejects.toMatchObject({
        name: 'SignatureDoesNotMatch',
      });
    });

    it('still answers a browser CORS preflight, unsigned, as S3 does', async () => {
      const response = await fetch(`${s3.endpoint}/media/uploads/x`, {
        method: 'OPTIONS',
        headers: { Origin: 'http://localhost:3000', 'Access-Control-Request-Method': 'PUT' },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
    });
  });

  describe('serves what the SDK signs', () => {
    it('puts, gets, lists and deletes objects', async () => {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'crud/a b+ü.txt', Body: 'hello', ContentType: 'text/plain' }));
      const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'crud/a b+ü.txt' }));
      expect(await got.Body?.transformToString()).toBe('hello');
      expect(got.ContentType).toBe('text/plain');
      const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'crud/' }));
      expect(listed.Contents?.map((object) => object.Key)).toEqual(['crud/a b+ü.txt']);
      const deleted = await client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'crud/a b+ü.txt' }] } }));
      expect(deleted.Errors ?? []).toEqual([]);
      expect((await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'crud/' }))).KeyCount).toBe(0);
    });

    it('assembles a multipart upload whose parts were PUT on presigned URLs', async () => {
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'multipart/video.mp4' }));
      const part1 = Buffer.alloc(5 * 1024 * 1024, 'a');
      const url = await getSignedUrl(client, new UploadPartCommand({ Bucket: BUCKET, Key: 'multipart/video.mp4', UploadId, PartNumber: 1 }), {
        expiresIn: 300,
      });
      const first = await fetch(url, { method: 'PUT', body: part1 });
      expect(first.status).toBe(200);
      const second = await client.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'multipart/video.mp4', UploadId, PartNumber: 2, Body: 'tail' }));
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: 'multipart/video.mp4',
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: first.headers.get('etag')! }, { PartNumber: 2, ETag: second.ETag! }] },
        }),
      );
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'multipart/video.mp4' }));
      expect(head.ContentLength).toBe(part1.length + 4);
    });

    it('refuses a part for an upload it never started', async () => {
      await expect(
        client.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'multipart/none.mp4', UploadId: 'deadbeef', PartNumber: 1, Body: 'x' })),
      ).rejects.toMatchObject({ name: 'NoSuchUpload' });
    });
  });

  describe('presigned GET (playback, and the worker reading its source with ffmpeg)', () => {
    it('answers a Range request with 206 and those bytes', async () => {
      const url = await presignPlayback(client, { bucket: BUCKET, key: 'fixtures/ten.bin', expiresInSeconds: 60, filename: 'ten.mp4' });
      const response = await fetch(url, { headers: { Range: 'bytes=2-5', 'User-Agent': 'Lavf/60.16.100', 'Icy-MetaData': '1' } });
      expect(response.status).toBe(206);
      expect(await response.text()).toBe('2345');
      expect(response.headers.get('content-type')).toBe('video/mp4');
    });

    it.each(['Präsentation 🎬.mp4', '\u200fמצגת.mp4', 'a"b%c\'d.mp4'])(
      'answers 200 and 206 for a filename like %s (an ASCII-only response-content-disposition with filename*)',
      async (filename) => {
        const url = await presignPlayback(client, { bucket: BUCKET, key: 'fixtures/ten.bin', expiresInSeconds: 60, filename });
        const whole = await fetch(url);
        const range = await fetch(url, { headers: { Range: 'bytes=0-3' } });
        expect([whole.status, await whole.text()]).toEqual([200, '0123456789']);
        expect([range.status, await range.text()]).toEqual([206, '0123']);
        expect(range.headers.get('content-disposition')).toBe(inlineDisposition(filename));
      },
    );

    it('is refused once expired', async () => {
      const url = await presignPlayback(client, { bucket: BUCKET, key: 'fixtures/ten.bin', expiresInSeconds: 60 });
      clockOffsetMs = 61_000;
      try {
        const response = await fetch(url);
        expect(await errorOf(response)).toEqual({ status: 403, code: 'AccessDenied', message: 'Request has expired' });
      } finally {
        clockOffsetMs = 0;
      }
    });

    it('is refused when its query was changed', async () => {
      const url = await presignPlayback(client, { bucket: BUCKET, key: 'fixtures/ten.bin', expiresInSeconds: 60 });
      const response = await fetch(url.replace('ResponseContentType', 'x').replace('response-content-type=video%2Fmp4', 'response-content-type=text%2Fhtml'));
      expect(await errorOf(response)).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    });
  });

  describe('reads pinned to an ETag (If-Match), as the worker reads the upload it claimed', () => {
    it('serves the object while it is the one pinned, and answers 412 once another was written over it', async () => {
      const key = 'fixtures/pinned.bin';
      const { ETag } = await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'first upload' }));
      const pinned = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: key, IfMatch: ETag }), { expiresIn: 60 });

      const before = await fetch(pinned, { headers: { 'If-Match': ETag!, Range: 'bytes=0-4' } });
      expect([before.status, await before.text()]).toEqual([206, 'first']);

      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'second upload, another file' }));
      const after = await fetch(pinned, { headers: { 'If-Match': ETag!, Range: 'bytes=0-4' } });
      expect(await errorOf(after)).toEqual({ status: 412, code: 'PreconditionFailed', message: 'At least one of the pre-conditions you specified did not hold' });
      await expect(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, IfMatch: ETag }))).rejects.toMatchObject({
        $metadata: { httpStatusCode: 412 },
      });
    });
  });

  describe('browser upload with the presigned POST create-upload hands out', () => {
    const key = 'uploads/11111111-1111-4111-8111-111111111111/source.mp4';
    const presign = () => presignUpload(client, { bucket: BUCKET, key, contentType: 'video/mp4', maxBytes: 1024, expiresInSeconds: 900 });

    async function post(upload: { url: string; fields: Record<string, string> }, file: Blob, change: Record<string, string> = {}) {
      const form = new FormData();
      for (const [name, value] of Object.entries({ ...upload.fields, ...change })) form.append(name, value);
      form.append('file', file, 'video.mp4');
      return fetch(upload.url, { method: 'POST', body: form, headers: { Origin: 'http://localhost:3000' } });
    }

    async function stored(objectKey: string): Promise<boolean> {
      return client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: objectKey })).then(
        () => true,
        () => false,
      );
    }

    it('stores the file under the signed key with the signed type, and tells EventBridge', async () => {
      const response = await post(await presign(), new Blob([Buffer.alloc(1000, 1)]));
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(head).toMatchObject({ ContentLength: 1000, ContentType: 'video/mp4' });
      expect(s3.events).toContainEqual(expect.objectContaining({ eventName: 'ObjectCreated:Post', s3: expect.objectContaining({ object: expect.objectContaining({ key }) }) }));
    });

    it('refuses a file over the content-length-range with EntityTooLarge and stores nothing', async () => {
      const otherKey = 'uploads/22222222-2222-4222-8222-222222222222/source.mp4';
      const upload = await presignUpload(client, { bucket: BUCKET, key: otherKey, contentType: 'video/mp4', maxBytes: 1024, expiresInSeconds: 900 });
      const response = await post(upload, new Blob([Buffer.alloc(256 * 1024, 1)]));
      const body = await response.text();
      expect(response.status).toBe(400);
      expect(body).toContain('<Code>EntityTooLarge</Code>');
      expect(body).toContain(`<ProposedSize>${256 * 1024}</ProposedSize><MaxSizeAllowed>1024</MaxSizeAllowed>`);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(await stored(otherKey)).toBe(false);
      expect(await partialFilesIn(s3.directory)).toEqual([]);
    });

    it('refuses an empty file with EntityTooSmall', async () => {
      const otherKey = 'uploads/33333333-3333-4333-8333-333333333333/source.mp4';
      const upload = await presignUpload(client, { bucket: BUCKET, key: otherKey, contentType: 'video/mp4', maxBytes: 1024, expiresInSeconds: 900 });
      expect(await errorOf(await post(upload, new Blob([])))).toMatchObject({ status: 400, code: 'EntityTooSmall' });
      expect(await stored(otherKey)).toBe(false);
    });

    it("refuses another key — even another video's final key — and stores nothing there", async () => {
      const target = 'videos/44444444-4444-4444-8444-444444444444/video.mp4';
      const response = await post(await presign(), new Blob([Buffer.alloc(10, 1)]), { key: target });
      expect(await errorOf(response)).toEqual({
        status: 403,
        code: 'AccessDenied',
        message: `Invalid according to Policy: Policy Condition failed: ["eq", "$key", "${key}"]`,
      });
      expect(await stored(target)).toBe(false);
    });

    it('refuses another Content-Type', async () => {
      const response = await post(await presign(), new Blob([Buffer.alloc(10, 1)]), { 'Content-Type': 'text/html' });
      expect(await errorOf(response)).toEqual({
        status: 403,
        code: 'AccessDenied',
        message: 'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "video/mp4"]',
      });
    });

    it('refuses an expired policy', async () => {
      const otherKey = 'uploads/55555555-5555-4555-8555-555555555555/source.mp4';
      const upload = await presignUpload(client, { bucket: BUCKET, key: otherKey, contentType: 'video/mp4', maxBytes: 1024, expiresInSeconds: 60 });
      clockOffsetMs = 61_000;
      try {
        const response = await post(upload, new Blob([Buffer.alloc(10, 1)]));
        expect(await errorOf(response)).toEqual({ status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Policy expired.' });
      } finally {
        clockOffsetMs = 0;
      }
      expect(await stored(otherKey)).toBe(false);
    });

    it('refuses a form without a policy, and a tampered policy', async () => {
      const upload = await presign();
      const { Policy: policy, ...unsigned } = upload.fields;
      expect(await errorOf(await post({ url: upload.url, fields: unsigned }, new Blob(['x'])))).toMatchObject({ status: 403, code: 'AccessDenied' });
      const loosened = Buffer.from(Buffer.from(policy!, 'base64').toString('utf8').replace('"content-length-range",1,1024', '"content-length-range",1,99999999')).toString('base64');
      expect(await errorOf(await post(upload, new Blob(['x']), { Policy: loosened }))).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    });
  });

  describe('atomic writes', () => {
    it('never shows a reader a partial object while a slow writer replaces it', async () => {
      const size = 256 * 1024;
      const before = Buffer.alloc(size, 'a');
      const after = Buffer.alloc(size, 'b');
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'race/object.bin', Body: before }));

      const chunks = Array.from({ length: 16 }, (_, index) => after.subarray((index * size) / 16, ((index + 1) * size) / 16));
      const slowBody = Readable.from(
        (async function* () {
          for (const chunk of chunks) {
            await sleep(20);
            yield chunk;
          }
        })(),
      );
      let writing = true;
      const write = client
        .send(new PutObjectCommand({ Bucket: BUCKET, Key: 'race/object.bin', Body: slowBody, ContentLength: size }))
        .finally(() => (writing = false));
      const seen: string[] = [];
      while (writing) {
        const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'race/object.bin' }));
        const body = Buffer.from(await got.Body!.transformToByteArray());
        seen.push(body.equals(before) ? 'before' : body.equals(after) ? 'after' : `partial ${body.length}`);
      }
      await write;

      expect(seen.length).toBeGreaterThan(3);
      expect(seen.filter((state) => state.startsWith('partial'))).toEqual([]);
      const final = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'race/object.bin' }));
      expect(Buffer.from(await final.Body!.transformToByteArray()).equals(after)).toBe(true);
    });
  });
});
