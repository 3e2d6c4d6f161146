import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3Error } from '../../infra/local/s3/s3-error.ts';
import { verifyPostPolicySignature, verifySignature, type SignedRequest } from '../../infra/local/s3/sigv4-verification.ts';

const NOW = new Date('2026-03-01T10:00:00.000Z');
const CREDENTIALS = { accessKeyId: 'AKIDUPLOADER', secretAccessKey: 'uploader-secret' };
const lookupSecret = (accessKeyId: string) => (accessKeyId === CREDENTIALS.accessKeyId ? CREDENTIALS.secretAccessKey : undefined);
const minutes = (count: number) => new Date(NOW.getTime() + count * 60_000);

/** The request an SDK client would put on the wire, captured instead of sent. */
async function signedBySdk(command: object, credentials = CREDENTIALS): Promise<SignedRequest> {
  let captured: { method: string; path: string; query?: Record<string, string | string[] | null>; headers: Record<string, string> } | undefined;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:4568',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    requestHandler: {
      handle: async (request: NonNullable<typeof captured>) => {
        captured = request;
        return { response: { statusCode: 200, headers: {}, body: Readable.from([]) } };
      },
    } as never,
  });
  await client.send(command as never).catch(() => undefined);
  if (captured === undefined) throw new Error('the SDK sent nothing');
  const rawQuery = Object.entries(captured.query ?? {})
    .flatMap(([name, value]) => [value ?? ''].flat().map((item) => `${encodeURIComponent(name)}=${encodeURIComponent(item)}`))
    .join('&');
  const headers = Object.fromEntries(Object.entries(captured.headers).map(([name, value]) => [name.toLowerCase(), value]));
  return { method: captured.method, path: captured.path, rawQuery, headers };
}

function fromUrl(url: string, method = 'GET', headers: Record<string, string> = {}): SignedRequest {
  const parsed = new URL(url);
  return { method, path: parsed.pathname, rawQuery: parsed.search.slice(1), headers: { host: parsed.host, ...headers } };
}

async function refusal(verification: Promise<unknown>): Promise<Pick<S3Error, 'code' | 'status' | 'message' | 'details'>> {
  const error = await verification.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof S3Error)) throw new Error(`expected an S3Error, got ${String(error)}`);
  return { code: error.code, status: error.status, message: error.message, details: error.details };
}

const presigner = new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:4568', forcePathStyle: true, credentials: CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED' });

beforeAll(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterAll(() => {
  vi.useRealTimers();
});

describe('verifySignature, header-signed requests', () => {
  const put = () => new PutObjectCommand({ Bucket: 'media', Key: 'uploads/a b+ü.txt', Body: 'hello', ContentType: 'text/plain' });

  it('accepts what the SDK signed, and names the caller and the signed payload hash', async () => {
    const caller = await verifySignature(await signedBySdk(put()), lookupSecret, NOW);
    expect(caller).toEqual({
      accessKeyId: 'AKIDUPLOADER',
      mechanism: 'header',
      payloadHash: createHash('sha256').update('hello').digest('hex'),
    });
  });

  it('accepts a signed listing, whose query is part of the signature', async () => {
    const request = await signedBySdk(new ListObjectsV2Command({ Bucket: 'media', Prefix: 'videos/', MaxKeys: 5 }));
    expect(await verifySignature(request, lookupSecret, NOW)).toMatchObject({ accessKeyId: 'AKIDUPLOADER' });
  });

  it('finds no caller in a request without any signature', async () => {
    expect(await verifySignature({ method: 'GET', path: '/media/x', rawQuery: '', headers: { host: '127.0.0.1' } }, lookupSecret, NOW)).toBeUndefined();
  });

  it('refuses a request sent to another path than the one signed', async () => {
    const request = await signedBySdk(put());
    const tampered = { ...request, path: request.path.replace('uploads/', 'videos/') };
    expect(await refusal(verifySignature(tampered, lookupSecret, NOW))).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
  });

  it('refuses a request whose signed header was changed', async () => {
    const request = await signedBySdk(put());
    const tampered = { ...request, headers: { ...request.headers, 'content-type': 'text/html' } };
    expect(await refusal(verifySignature(tampered, lookupSecret, NOW))).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
  });

  it('refuses an x-amz-* header added after signing', async () => {
    const request = await signedBySdk(put());
    const tampered = { ...request, headers: { ...request.headers, 'x-amz-acl': 'public-read' } };
    expect(await refusal(verifySignature(tampered, lookupSecret, NOW))).toEqual({
      code: 'AccessDenied',
      status: 403,
      message: 'There were headers present in the request which were not signed',
      details: { HeadersNotSigned: 'x-amz-acl' },
    });
  });

  it('accepts headers nobody signed that are not x-amz-* (what proxies and players add)', async () => {
    const request = await signedBySdk(new GetObjectCommand({ Bucket: 'media', Key: 'videos/v.mp4' }));
    const withExtras = { ...request, headers: { ...request.headers, 'icy-metadata': '1', accept: '*/*' } };
    expect(await verifySignature(withExtras, lookupSecret, NOW)).toMatchObject({ accessKeyId: 'AKIDUPLOADER' });
  });

  it('refuses a signature made with another secret', async () => {
    const request = await signedBySdk(put(), { ...CREDENTIALS, secretAccessKey: 'guessed' });
    expect(await refusal(verifySignature(request, lookupSecret, NOW))).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
  });

  it('refuses an access key id the local cloud never issued', async () => {
    const request = await signedBySdk(put(), { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'x' });
    expect(await refusal(verifySignature(request, lookupSecret, NOW))).toEqual({
      code: 'InvalidAccessKeyId',
      status: 403,
      message: 'The AWS Access Key Id you provided does not exist in our records.',
      details: { AWSAccessKeyId: 'AKIDSTRANGER' },
    });
  });

  it('refuses a request dated more than 15 minutes from the server clock as RequestTimeTooSkewed', async () => {
    const request = await signedBySdk(put());
    expect(await verifySignature(request, lookupSecret, minutes(14))).toBeDefined();
    expect(await refusal(verifySignature(request, lookupSecret, minutes(16)))).toMatchObject({
      code: 'RequestTimeTooSkewed',
      status: 403,
      details: { MaxAllowedSkewMilliseconds: 900_000 },
    });
    expect(await refusal(verifySignature(request, lookupSecret, minutes(-16)))).toMatchObject({ code: 'RequestTimeTooSkewed' });
  });

  it('refuses a signature scoped to another region when the local cloud names its region', async () => {
    const request = await signedBySdk(put());
    expect(await refusal(verifySignature(request, lookupSecret, NOW, { region: 'eu-west-1' }))).toMatchObject({
      code: 'AuthorizationHeaderMalformed',
      status: 400,
      details: { Region: 'eu-west-1' },
    });
  });

  it('refuses a request without x-amz-content-sha256, which S3 requires', async () => {
    const request = await signedBySdk(put());
    const { 'x-amz-content-sha256': _hash, ...headers } = request.headers;
    expect(await refusal(verifySignature({ ...request, headers }, lookupSecret, NOW))).toMatchObject({ code: 'InvalidRequest', status: 400 });
  });
});

describe('verifySignature, presigned URLs', () => {
  const presignGet = () =>
    getSignedUrl(presigner, new GetObjectCommand({ Bucket: 'media', Key: 'videos/v.mp4', ResponseContentType: 'video/mp4' }), { expiresIn: 900 });

  it('accepts a presigned GET with the Range header ffmpeg adds (unsigned, as on S3)', async () => {
    const request = fromUrl(await presignGet(), 'GET', { range: 'bytes=0-1023', 'user-agent': 'Lavf/60.16.100' });
    expect(await verifySignature(request, lookupSecret, minutes(1))).toEqual({
      accessKeyId: 'AKIDUPLOADER',
      mechanism: 'presigned',
      payloadHash: 'UNSIGNED-PAYLOAD',
    });
  });

  it('refuses it once its X-Amz-Expires has passed', async () => {
    const request = fromUrl(await presignGet());
    expect(await refusal(verifySignature(request, lookupSecret, minutes(15.1)))).toEqual({
      code: 'AccessDenied',
      status: 403,
      message: 'Request has expired',
      details: { 'X-Amz-Expires': '900', Expires: '2026-03-01T10:15:00Z', ServerTime: '2026-03-01T10:15:06Z' },
    });
  });

  it('does not apply the 15-minute skew to a presigned URL still within its lifetime', async () => {
    const url = await getSignedUrl(presigner, new GetObjectCommand({ Bucket: 'media', Key: 'videos/v.mp4' }), { expiresIn: 3600 });
    expect(await verifySignature(fromUrl(url), lookupSecret, minutes(50))).toBeDefined();
  });

  it('refuses a presigned URL whose query was changed', async () => {
    const url = (await presignGet()).replace('response-content-type=video%2Fmp4', 'response-content-type=text%2Fhtml');
    expect(await refusal(verifySignature(fromUrl(url), lookupSecret, NOW))).toMatchObject({ code: 'SignatureDoesNotMatch' });
  });

  it('refuses a presigned URL used with another method', async () => {
    expect(await refusal(verifySignature(fromUrl(await presignGet(), 'DELETE'), lookupSecret, NOW))).toMatchObject({ code: 'SignatureDoesNotMatch' });
  });

  it('refuses a presigned URL that also carries an Authorization header', async () => {
    const request = fromUrl(await presignGet(), 'GET', { authorization: 'AWS4-HMAC-SHA256 Credential=x' });
    expect(await refusal(verifySignature(request, lookupSecret, NOW))).toMatchObject({ code: 'InvalidArgument', status: 400 });
  });

  it('refuses a lifetime over a week before looking at the signature', async () => {
    const url = (await presignGet()).replace('X-Amz-Expires=900', 'X-Amz-Expires=604801');
    expect(await refusal(verifySignature(fromUrl(url), lookupSecret, NOW))).toMatchObject({ code: 'AuthorizationQueryParametersError', status: 400 });
  });
});

describe('verifyPostPolicySignature', () => {
  async function presignedForm() {
    const { fields } = await createPresignedPost(presigner, {
      Bucket: 'media',
      Key: 'uploads/v/source.mp4',
      Conditions: [['content-length-range', 1, 1024]],
      Expires: 900,
    });
    return new Map(Object.entries(fields).map(([name, value]) => [name.toLowerCase(), value]));
  }

  it('accepts the form createPresignedPost made', async () => {
    expect(await verifyPostPolicySignature(await presignedForm(), lookupSecret)).toMatchObject({ accessKeyId: 'AKIDUPLOADER', mechanism: 'post-policy' });
  });

  it('refuses a policy changed after signing', async () => {
    const fields = await presignedForm();
    const policy = Buffer.from(fields.get('policy')!, 'base64').toString('utf8').replace('1024', '999999999');
    fields.set('policy', Buffer.from(policy).toString('base64'));
    expect(await refusal(verifyPostPolicySignature(fields, lookupSecret))).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
  });

  it('refuses a form without its signature field', async () => {
    const fields = await presignedForm();
    fields.delete('x-amz-signature');
    expect(await refusal(verifyPostPolicySignature(fields, lookupSecret))).toMatchObject({
      code: 'InvalidArgument',
      message: "Bucket POST must contain a field named 'X-Amz-Signature'.  If it is specified, please check the order of the fields.",
    });
  });
});
