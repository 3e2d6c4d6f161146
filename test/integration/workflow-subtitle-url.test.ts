import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  expectCleanEnd,
  finalStatus,
  sampleClip,
  startHarness,
  submitVideo,
  transcodeAttempts,
  type Harness,
} from '../support/workflow-harness.ts';

/**
 * Subtitles from the subtitle service's URL, through the real workflow. The service runs on 127.0.0.1 at a
 * port named in SUBTITLE_ALLOWED_HOSTS (it lives inside the VPC); a second server on another port of
 * 127.0.0.1 stands for everything else inside the network, and must never get a connection.
 */
const SRT = '1\n00:00:00,200 --> 00:00:01,500\nFrom the subtitle service\n';

interface Counted {
  server: Server;
  port: number;
  connections: number;
  requests: string[];
}

let harness: Harness;
let service: Counted;
let inside: Counted;
let clip: string;
const flakyCalls = new Map<string, number>();

async function listen(server: Server): Promise<Counted> {
  const counted: Counted = { server, port: 0, connections: 0, requests: [] };
  server.on('connection', () => (counted.connections += 1));
  server.on('request', (request) => counted.requests.push(request.url ?? ''));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  counted.port = (server.address() as AddressInfo).port;
  return counted;
}

beforeAll(async () => {
  service = await listen(
    createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      const [, route, key = ''] = url.pathname.split('/');
      switch (route) {
        case 'ok.srt':
          response.writeHead(200, { 'content-type': 'application/x-subrip' }).end(SRT);
          return;
        case 'flaky': {
          const calls = (flakyCalls.get(key) ?? 0) + 1;
          flakyCalls.set(key, calls);
          if (calls === 1) response.writeHead(500).end('try again');
          else response.writeHead(200).end(SRT);
          return;
        }
        case 'down':
          response.writeHead(503).end();
          return;
        case 'hang':
          return; // accepts, never answers
        case 'missing':
          response.writeHead(404).end();
          return;
        case 'redirect':
          response.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
          return;
        default:
          response.writeHead(400).end();
      }
    }),
  );
  inside = await listen(createServer((_request, response) => response.writeHead(200).end(SRT)));
  harness = await startHarness({
    functionEnv: {
      SUBTITLE_ALLOWED_HOSTS: `127.0.0.1:${service.port}`,
      SUBTITLE_CONNECT_TIMEOUT_MS: '500',
      SUBTITLE_FETCH_TIMEOUT_MS: '1000',
    },
  });
  clip = await sampleClip(harness, 'clip.mp4');
});

afterAll(async () => {
  await harness?.stop();
  for (const counted of [service, inside]) {
    if (!counted) continue;
    counted.server.closeAllConnections();
    await new Promise((resolve) => counted.server.close(resolve));
  }
});

beforeEach(() => {
  inside.connections = 0;
});

const serviceUrl = (path: string) => `http://127.0.0.1:${service.port}${path}`;
const requestsTo = (prefix: string) => service.requests.filter((path) => path.startsWith(prefix)).length;

describe('a subtitle service that works', () => {
  it('burns in and stores the subtitles it serves', async () => {
    const video = await submitVideo(harness, { source: clip, subtitlesUrl: serviceUrl('/ok.srt?token=s3cr3t') });

    const final = await finalStatus(harness, video);

    await expectCleanEnd(harness, video, final, { status: 'saved' });
    const { Body } = await harness.s3.send(new GetObjectCommand({ Bucket: harness.cloud.bucket, Key: `videos/${video.id}/subtitles.srt` }));
    expect(await Body!.transformToString()).toBe(SRT);
  });

  it('answering 500 then 200: the workflow retries and the video is saved', async () => {
    const video = await submitVideo(harness, { source: clip, subtitlesUrl: serviceUrl(`/flaky/${crypto.randomUUID()}`) });

    const final = await finalStatus(harness, video);

    const [execution] = await expectCleanEnd(harness, video, final, { status: 'saved' });
    const retried = execution!.trace.filter((entry) => entry.state === 'PrepareSubtitles' && entry.type === 'StateRetried');
    expect(retried).toHaveLength(1);
  });
});

describe('a subtitle service that fails', () => {
  it('timing out: retried with backoff, then failed subtitles_unavailable', async () => {
    const before = requestsTo('/hang');
    const video = await submitVideo(harness, { source: clip, subtitlesUrl: serviceUrl('/hang') });

    const final = await finalStatus(harness, video);

    const executions = await expectCleanEnd(harness, video, final, { status: 'failed', code: 'subtitles_unavailable' });
    expect(final.error?.message).toMatch(/did not deliver the subtitles within 1 s/);
    expect(requestsTo('/hang') - before).toBe(4);
    expect(transcodeAttempts(executions)).toBe(0);
  });

  it('answering 503 every time: failed subtitles_unavailable after three retries', async () => {
    const before = requestsTo('/down');
    const video = await submitVideo(harness, { source: clip, subtitlesUrl: serviceUrl('/down') });

    const final = await finalStatus(harness, video);

    await expectCleanEnd(harness, video, final, { status: 'failed', code: 'subtitles_unavailable' });
    expect(final.error?.message).toBe(`The subtitle service at 127.0.0.1:${service.port} answered 503 Service Unavailable`);
    expect(requestsTo('/down') - before).toBe(4);
  });

  it('answering 404: failed at once with subtitles_fetch_failed, no retry', async () => {
    const before = requestsTo('/missing');
    const video = await submitVideo(harness, { source: clip, subtitlesUrl: serviceUrl('/missing?sig=s3cr3t') });

    const final = await finalStatus(harness, video);

    await expectCleanEnd(harness, video, final, { status: 'failed', code: 'subtitles_fetch_failed' });
    expect(final.error?.message).toBe(`The subtitle service at 127.0.0.1:${service.port} answered 404 Not Found`);
    expect(requestsTo('/missing') - before).toBe(1);
  });
});

describe('hostile subtitle URLs are refused before any connection, and not retried', () => {
  it.each([
    ['at 127.0.0.1 (a port nobody allowed)', () => `http://127.0.0.1:${inside.port}/ok.srt`, /loopback/],
    ['at the cloud metadata address 169.254.169.254', () => 'http://169.254.169.254/latest/meta-data/iam/security-credentials/', /link-local/],
    [
      'redirecting from the trusted service to the metadata address',
      () => serviceUrl(`/redirect?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`),
      /link-local/,
    ],
    [
      'redirecting from the trusted service to a private address',
      () => serviceUrl(`/redirect?to=${encodeURIComponent(`http://127.0.0.1:${inside.port}/ok.srt`)}`),
      /loopback/,
    ],
    ['redirecting to 10.0.0.1', () => serviceUrl(`/redirect?to=${encodeURIComponent('http://10.0.0.1/subs.srt')}`), /private/],
  ])('%s', async (_name, url, reason) => {
    const video = await submitVideo(harness, { source: clip, subtitlesUrl: url() });

    const final = await finalStatus(harness, video);

    const [execution] = await expectCleanEnd(harness, video, final, { status: 'failed', code: 'subtitles_url_refused' });
    expect(final.error?.message).toMatch(reason);
    expect(execution!.trace.filter((entry) => entry.type === 'StateRetried')).toEqual([]);
    expect(inside.connections).toBe(0);
  });
});
