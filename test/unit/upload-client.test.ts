import { describe, expect, it } from 'vitest';
import {
  createTransferRate,
  createVidpClient,
  fingerprintFile,
  formatBytes,
  formatSeconds,
  VidpAbortedError,
  VidpApiError,
  VidpStorageError,
  VidpUnreachableError,
  type UploadProgress,
} from '../../web/client/index.ts';
import { createFakeVidpService, patternBytes } from '../support/fake-vidp-service.ts';

const FAST_RETRY = { retries: 3, minDelayMs: 1, maxDelayMs: 2 };
const multipart = (service: { videoId: string; partSize: number; partCount: number }) => ({
  video: { id: service.videoId } as never,
  upload: { method: 'MULTIPART' as const, upload_id: 'upload-1', part_size: service.partSize, part_count: service.partCount, expires_at: '' },
});

function setup(size = 10 * 1024 + 100, partSize = 1024) {
  const service = createFakeVidpService({ size, partSize });
  const client = createVidpClient({ apiUrl: 'http://api.fake/api', apiKey: 'key-1', fetch: service.fetch });
  const bytes = patternBytes(size);
  return { service, client, bytes, blob: new Blob([bytes]) };
}

function assembled(service: ReturnType<typeof createFakeVidpService>): Uint8Array {
  const chunks = [...service.parts].sort(([a], [b]) => a - b).map(([, part]) => part.data);
  return new Uint8Array(Buffer.concat(chunks));
}

describe('the API calls', () => {
  it('turn the API error body into a VidpApiError with its code, message and request id', async () => {
    const { client } = setup();
    const error = await client.getVideo('nope').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VidpApiError);
    expect(error).toMatchObject({ status: 404, code: 'not_found', message: 'No route GET /videos/nope', requestId: 'req-404' });
  });

  it('never show a body that is not the API error shape', async () => {
    const client = createVidpClient({
      apiUrl: 'http://api.fake/api',
      fetch: async () => new Response('<html>upstream exploded</html>', { status: 502, statusText: 'Bad Gateway' }),
    });
    const error = (await client.getVideo('x').catch((caught: unknown) => caught)) as VidpApiError;
    expect(error).toMatchObject({ status: 502, code: 'unexpected_response', message: 'HTTP 502 Bad Gateway' });
  });

  it('tell a connection that failed apart from a refusal', async () => {
    const client = createVidpClient({
      apiUrl: 'http://127.0.0.1:9/api',
      fetch: async () => {
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
      },
    });
    const error = await client.getVideo('x').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VidpUnreachableError);
    expect((error as Error).message).toBe('Cannot reach http://127.0.0.1:9/api (ECONNREFUSED)');
  });

  it('send the API key as x-api-key', async () => {
    const { client, service } = setup();
    await client.getUpload(service.videoId);
    expect(service.headersSeen[0]?.get('x-api-key')).toBe('key-1');
  });
});

describe('a multipart upload', () => {
  it('sends every part from its slice, at most partsInFlight at once, and completes with the ETags in order', async () => {
    const { client, service, blob, bytes } = setup();
    await client.uploadFile(multipart(service), blob, { partsInFlight: 3, retry: FAST_RETRY });
    expect(assembled(service)).toEqual(bytes);
    expect(service.maxConcurrentPuts()).toBe(3);
    expect(service.completed?.map((part) => part.part_number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(service.completed?.[10]?.etag).toBe('"etag-11-100"');
  });

  it('skips the parts S3 already has and reports them as resumed', async () => {
    const { client, service, blob, bytes } = setup();
    await client.uploadFile(multipart(service), blob.slice(0, 3 * 1024), { partsInFlight: 1, retry: FAST_RETRY }).catch(() => undefined);
    service.parts.delete(3);
    service.requests.length = 0;
    const events: UploadProgress[] = [];

    await client.uploadFile(multipart(service), blob, { retry: FAST_RETRY, onProgress: (event) => events.push(event) });

    const puts = service.requests.filter((request) => request.startsWith('PUT part')).map((request) => Number(request.split(' ')[2]));
    expect(puts.sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(assembled(service)).toEqual(bytes);
    expect(events[0]).toMatchObject({ sentBytes: 2048, resumedBytes: 2048, partsDone: 2, partCount: 11, totalBytes: bytes.byteLength });
    expect(events.at(-1)).toMatchObject({ sentBytes: bytes.byteLength, inFlightBytes: 0, partsDone: 11 });
  });

  it('sends a stored part of the wrong size again', async () => {
    const { client, service, blob } = setup();
    service.parts.set(1, { data: new Uint8Array(10), etag: '"short"' });
    await client.uploadFile(multipart(service), blob, { retry: FAST_RETRY });
    expect(service.requests).toContain('PUT part 1');
    expect(service.completed?.[0]?.etag).toBe('"etag-1-1024"');
  });

  it('retries a part that S3 answers with 503 and then stores', async () => {
    const { client, service, blob, bytes } = setup(3000);
    service.failPartPuts(2, 503, 'SlowDown');
    await client.uploadFile(multipart(service), blob, { partsInFlight: 1, retry: FAST_RETRY });
    expect(service.requests.filter((request) => request === 'PUT part 1')).toHaveLength(3);
    expect(assembled(service)).toEqual(bytes);
  });

  it('does not retry a part S3 refuses for good, and fails with S3’s code', async () => {
    const { client, service, blob } = setup(3000);
    service.failPartPuts(1, 400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
    const error = await client.uploadFile(multipart(service), blob, { partsInFlight: 1, retry: FAST_RETRY }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VidpStorageError);
    expect(error).toMatchObject({ status: 400, code: 'EntityTooLarge' });
    expect(service.requests.filter((request) => request.startsWith('PUT part'))).toEqual(['PUT part 1']);
    expect(service.completed).toBeUndefined();
  });

  it('asks for fresh URLs when S3 says a presigned URL has expired', async () => {
    const service = createFakeVidpService({ size: 2048, partSize: 1024, expiresInMs: -1 });
    const client = createVidpClient({ apiUrl: 'http://api.fake/api', fetch: service.fetch });
    const error = await client.uploadFile(multipart(service), new Blob([patternBytes(2048)]), { partsInFlight: 1, retry: FAST_RETRY }).catch((caught: unknown) => caught);
    // Every URL this fake hands out is already expired: the client re-presigns on each attempt, then gives up.
    expect(error).toMatchObject({ status: 403 });
    expect(service.requests.filter((request) => request.startsWith('POST /videos/') && request.endsWith('/upload/parts')).length).toBeGreaterThan(2);
  });

  it('stops at once when aborted, without completing the upload', async () => {
    const { client, service, blob } = setup();
    const held = service.holdPartPuts();
    const controller = new AbortController();
    const upload = client.uploadFile(multipart(service), blob, { signal: controller.signal, retry: FAST_RETRY });
    await held.started;
    controller.abort();
    await expect(upload).rejects.toBeInstanceOf(VidpAbortedError);
    held.release();
    expect(service.parts.size).toBe(0);
    expect(service.requests.some((request) => request.endsWith('/upload/complete'))).toBe(false);
  });
});

describe('a small upload', () => {
  it('posts the policy fields first and the file last, then reports it all sent', async () => {
    const { client, service } = setup();
    const events: UploadProgress[] = [];
    const created = { video: { id: service.videoId } as never, upload: { method: 'POST' as const, url: 'http://s3.fake/bucket', fields: { key: 'k', Policy: 'p' }, expires_at: '' } };
    await client.uploadFile(created, new Blob([patternBytes(500)]), { filename: 'talk.mp4', onProgress: (event) => events.push(event) });
    expect(service.postedForms).toEqual([{ url: 'http://s3.fake/bucket', fieldNames: ['key', 'Policy', 'file'], fileSize: 500, fileName: 'talk.mp4' }]);
    expect(events.map((event) => event.sentBytes)).toEqual([0, 500]);
  });

  it('with a form transport that reports its progress, counts the file\'s bytes as they go, not the policy fields before it', async () => {
    const { client, service } = setup();
    const events: UploadProgress[] = [];
    const created = { video: { id: service.videoId } as never, upload: { method: 'POST' as const, url: 'http://s3.fake/bucket', fields: { key: 'k', Policy: 'p' }, expires_at: '' } };
    const formBytes = 500 + 300;
    const sentForms: string[] = [];
    await client.uploadFile(created, new Blob([patternBytes(500)]), {
      filename: 'talk.mp4',
      onProgress: (event) => events.push(event),
      // As XMLHttpRequest's upload events would: 300 bytes of fields and boundaries, then the file, then the answer.
      formTransport: async (url, form, { onSent }) => {
        sentForms.push(`${url} ${[...form.keys()].join(',')}`);
        for (const sent of [200, 300, 550, 800]) onSent(sent, formBytes);
        return new Response(null, { status: 204 });
      },
    });
    expect(sentForms).toEqual(['http://s3.fake/bucket key,Policy,file']);
    expect(events.map((event) => event.sentBytes)).toEqual([0, 0, 0, 250, 500, 500]);
    expect(events.at(-1)?.confirmedBytes).toBe(500);
    expect(service.postedForms).toEqual([]);
  });
});

describe('the transfer rate', () => {
  it('is unknown until two samples, then follows a steady rate and says the time left', () => {
    let now = 0;
    const rate = createTransferRate({ now: () => now });
    rate.sample(0);
    expect(rate.bytesPerSecond()).toBeUndefined();
    for (let second = 1; second <= 5; second += 1) {
      now = second * 1000;
      rate.sample(second * 1_000_000);
    }
    expect(rate.bytesPerSecond()).toBeCloseTo(1_000_000);
    expect(rate.secondsLeft(8_000_000)).toBeCloseTo(3);
  });

  it('smooths a burst instead of jumping to it', () => {
    let now = 0;
    const rate = createTransferRate({ now: () => now, halfLifeMs: 3000 });
    rate.sample(0);
    now = 1000;
    rate.sample(1_000_000);
    now = 2000;
    rate.sample(11_000_000);
    const value = rate.bytesPerSecond()!;
    expect(value).toBeGreaterThan(1_000_000);
    expect(value).toBeLessThan(10_000_000);
  });
});

describe('the file fingerprint', () => {
  const MiB = 1024 * 1024;
  const file = (bytes: Uint8Array<ArrayBuffer>) => new Blob([bytes]);
  const identity = { name: 'talk.mp4', lastModified: 1_700_000_000_000 };

  it('is the same for the same file and differs when the last MiB, the name or the time differ', async () => {
    const bytes = patternBytes(3 * MiB);
    const changedTail = patternBytes(3 * MiB);
    changedTail[3 * MiB - 1] = (changedTail[3 * MiB - 1] ?? 0) ^ 0xff;
    const base = await fingerprintFile(file(bytes), identity);
    expect(await fingerprintFile(file(patternBytes(3 * MiB)), identity)).toBe(base);
    expect(await fingerprintFile(file(changedTail), identity)).not.toBe(base);
    expect(await fingerprintFile(file(bytes), { ...identity, name: 'other.mp4' })).not.toBe(base);
    expect(await fingerprintFile(file(bytes), { ...identity, lastModified: identity.lastModified + 1000 })).not.toBe(base);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('waiting for a video', () => {
  it('rides out a few failed polls, tells each change once, and returns the final record', async () => {
    const answers: (() => Response)[] = [
      () => Response.json({ id: 'v1', status: 'processing', progress: 10 }),
      () => Response.json({ id: 'v1', status: 'processing', progress: 10 }),
      () => {
        throw new TypeError('fetch failed');
      },
      () => Response.json({ error: { code: 'internal_error', message: 'Internal error' }, request_id: 'r' }, { status: 500 }),
      () => Response.json({ id: 'v1', status: 'saved' }),
    ];
    const client = createVidpClient({ apiUrl: 'http://api.fake/api', fetch: async () => answers.shift()!() });
    const changes: string[] = [];
    const final = await client.waitForVideo('v1', { intervalMs: 1, onChange: (video) => changes.push(`${video.status}:${video.progress ?? ''}`) });
    expect(final.status).toBe('saved');
    expect(changes).toEqual(['processing:10', 'saved:']);
  });

  it('gives up on a refusal at once', async () => {
    const client = createVidpClient({
      apiUrl: 'http://api.fake/api',
      fetch: async () => Response.json({ error: { code: 'not_found', message: 'No such video' }, request_id: 'r' }, { status: 404 }),
    });
    await expect(client.waitForVideo('v1', { intervalMs: 1 })).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('a part transport that reports its progress', () => {
  it('moves sentBytes within a part, and takes back what a failed attempt had sent', async () => {
    const { client, service, blob, bytes } = setup(3000, 1024);
    let attempts = 0;
    const events: UploadProgress[] = [];
    await client.uploadFile(multipart(service), blob, {
      partsInFlight: 1,
      retry: FAST_RETRY,
      onProgress: (event) => events.push(event),
      partTransport: async (url, body, { signal, onSent }) => {
        attempts += 1;
        onSent(body.size / 2);
        // The first attempt of part 1 dies half-way, after it said half was sent.
        if (attempts === 1) throw new TypeError('fetch failed');
        onSent(body.size);
        return service.fetch(url, { method: 'PUT', body, ...(signal === undefined ? {} : { signal }) });
      },
    });
    expect(assembled(service)).toEqual(bytes);
    expect(events.map((event) => [event.sentBytes, event.confirmedBytes])).toEqual([
      [0, 0],
      [0, 0], // part 1 starts
      [512, 0],
      [0, 0], // its first attempt failed: what it had sent no longer counts
      [512, 0],
      [1024, 0],
      [1024, 1024], // part 1 confirmed
      [1024, 1024], // part 2 starts
      [1536, 1024],
      [2048, 1024],
      [2048, 2048],
      [2048, 2048],
      [2524, 2048],
      [3000, 2048],
      [3000, 3000],
    ]);
  });
});

describe('sizes and durations', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [16 * 1024 * 1024, '16 MiB'],
    [5 * 1024 ** 3, '5.0 GiB'],
  ])('%d bytes read %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each([
    [undefined, '—'],
    [Number.POSITIVE_INFINITY, '—'],
    [41.6, '42s'],
    [185, '3m05s'],
    [3720, '1h02m'],
  ])('%s seconds read %s', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });
});
