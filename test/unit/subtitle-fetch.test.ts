import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchSubtitles, judgeAddress, type Resolver, type SubtitleFetchOptions } from '../../functions/core/subtitle-fetch.ts';

/**
 * The guarded fetch against subtitle services on 127.0.0.1. Names are resolved by an injected resolver, so
 * no test touches real DNS or any address but 127.0.0.1; every refusal is checked to happen before a
 * connection (the servers count the connections they get).
 */
const SRT = '1\n00:00:01,000 --> 00:00:02,000\nHello\n';

interface TestServer {
  server: Server;
  port: number;
  connections: number;
  requests: string[];
}

async function startServer(handle: (request: IncomingMessage, response: ServerResponse) => void): Promise<TestServer> {
  const state: TestServer = { server: createServer(), port: 0, connections: 0, requests: [] };
  state.server.on('connection', () => (state.connections += 1));
  state.server.on('request', (request, response) => {
    state.requests.push(request.url ?? '');
    handle(request, response);
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.port = (state.server.address() as AddressInfo).port;
  return state;
}

let service: TestServer;
let bystander: TestServer;
let flakyCalls = 0;

beforeAll(async () => {
  service = await startServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/ok.srt':
        response.writeHead(200, { 'content-type': 'application/x-subrip' }).end(SRT);
        return;
      case '/not-found':
        response.writeHead(404).end();
        return;
      case '/unavailable':
        response.writeHead(503).end();
        return;
      case '/flaky':
        flakyCalls += 1;
        response.writeHead(flakyCalls === 1 ? 500 : 200).end(SRT);
        return;
      case '/hang':
        return; // never answers
      case '/big':
        response.writeHead(200);
        response.end('x'.repeat(4096));
        return;
      case '/big-declared':
        response.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
        response.write('x');
        return;
      case '/redirect':
        response.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
        return;
      case '/loop':
        response.writeHead(301, { location: '/loop' }).end();
        return;
      default:
        response.writeHead(500).end();
    }
  });
  bystander = await startServer((_request, response) => response.writeHead(200).end(SRT));
});

afterAll(async () => {
  for (const { server } of [service, bystander]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

beforeEach(() => {
  bystander.connections = 0;
  flakyCalls = 0;
});

const trusted = () => [`127.0.0.1:${service.port}`];
const options = (overrides: Partial<SubtitleFetchOptions> = {}): SubtitleFetchOptions => ({
  allowedHosts: trusted(),
  maxBytes: 1024,
  connectTimeoutMs: 1000,
  totalTimeoutMs: 2000,
  ...overrides,
});
const at = (path: string, port = service.port) => `http://127.0.0.1:${port}${path}`;

describe('fetching from a trusted host', () => {
  it('returns the body of a 200', async () => {
    const fetched = await fetchSubtitles(at('/ok.srt'), options());
    expect(new TextDecoder().decode(fetched.bytes)).toBe(SRT);
    expect(fetched).toMatchObject({ host: `127.0.0.1:${service.port}`, redirects: 0, contentType: 'application/x-subrip' });
  });

  it('follows a redirect within the trusted host', async () => {
    const fetched = await fetchSubtitles(at('/redirect?to=/ok.srt'), options());
    expect(fetched.redirects).toBe(1);
    expect(new TextDecoder().decode(fetched.bytes)).toBe(SRT);
  });

  it('connects to the address it checked, not to a second DNS answer', async () => {
    const calls: string[] = [];
    // The name exists only for this resolver: the socket can only reach the service through the pinned answer.
    const resolve: Resolver = async (hostname) => {
      calls.push(hostname);
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const fetched = await fetchSubtitles(`http://subtitles.internal:${service.port}/ok.srt`, {
      ...options({ allowedHosts: [`subtitles.internal:${service.port}`] }),
      resolve,
    });
    expect(new TextDecoder().decode(fetched.bytes)).toBe(SRT);
    expect(calls).toEqual(['subtitles.internal']);
  });
});

describe('refusing hostile URLs before connecting', () => {
  it('refuses 127.0.0.1 on a port that is not allowed', async () => {
    await expect(fetchSubtitles(at('/ok.srt', bystander.port), options())).rejects.toMatchObject({
      name: 'SubtitlesUrlRefusedError',
      message: expect.stringContaining('loopback'),
    });
    expect(bystander.connections).toBe(0);
  });

  it('refuses the cloud metadata address, even from a host allowed by name only', async () => {
    await expect(fetchSubtitles('http://169.254.169.254/latest/meta-data/', options({ allowedHosts: ['169.254.169.254'] }))).rejects.toMatchObject({
      name: 'SubtitlesUrlRefusedError',
      message: expect.stringContaining('link-local'),
    });
  });

  it('refuses a trusted host that redirects to the metadata address', async () => {
    const to = encodeURIComponent('http://169.254.169.254/latest/meta-data/iam/security-credentials/');
    await expect(fetchSubtitles(at(`/redirect?to=${to}`), options())).rejects.toMatchObject({ name: 'SubtitlesUrlRefusedError' });
  });

  it('refuses a redirect to a private address', async () => {
    const to = encodeURIComponent(at('/ok.srt', bystander.port));
    await expect(fetchSubtitles(at(`/redirect?to=${to}`), options())).rejects.toMatchObject({ name: 'SubtitlesUrlRefusedError' });
    expect(bystander.connections).toBe(0);
  });

  it('refuses a name that resolves to a private address', async () => {
    const resolve: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
    await expect(
      fetchSubtitles(`http://subs.example.test:${bystander.port}/x.srt`, { ...options({ allowedHosts: [] }), resolve }),
    ).rejects.toMatchObject({ name: 'SubtitlesUrlRefusedError', message: expect.stringContaining('resolves to 127.0.0.1') });
    expect(bystander.connections).toBe(0);
  });

  it('refuses a name with one private address among public ones', async () => {
    const resolve: Resolver = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ];
    await expect(fetchSubtitles('https://cdn.example.test/x.srt', { ...options({ allowedHosts: [] }), resolve })).rejects.toMatchObject({
      name: 'SubtitlesUrlRefusedError',
      message: expect.stringContaining('private'),
    });
  });

  it.each([
    ['file:///etc/passwd', 'only http and https'],
    ['ftp://example.test/x.srt', 'only http and https'],
    ['http://user:secret@example.test/x.srt', 'credentials'],
    ['not a url', 'not a valid URL'],
  ])('refuses %s', async (url, reason) => {
    await expect(fetchSubtitles(url, options())).rejects.toMatchObject({
      name: 'SubtitlesUrlRefusedError',
      message: expect.stringContaining(reason),
    });
  });
});

describe('judging addresses', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['::1', 'loopback'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['64:ff9b::a00:1', 'private'],
  ])('refuses %s (%s) from an untrusted host', (address, range) => {
    expect(judgeAddress(address, false)).toEqual({ allowed: false, range });
  });

  it.each(['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '64:ff9b::5db8:d822'])('allows the public address %s', (address) => {
    expect(judgeAddress(address, false)).toEqual({ allowed: true });
  });

  it('lets a trusted host be private, loopback or unique-local, but never link-local', () => {
    expect(judgeAddress('10.0.0.7', true)).toEqual({ allowed: true });
    expect(judgeAddress('127.0.0.1', true)).toEqual({ allowed: true });
    expect(judgeAddress('fd12::1', true)).toEqual({ allowed: true });
    expect(judgeAddress('169.254.169.254', true)).toEqual({ allowed: false, range: 'linkLocal' });
  });
});

describe('what the workflow retries and what it does not', () => {
  it('fails fast on a 4xx, naming the host and status but not the URL', async () => {
    const error = await fetchSubtitles(at('/not-found?token=s3cr3t'), options()).catch((caught: Error) => caught);
    expect(error).toMatchObject({ name: 'SubtitlesFetchFailedError', message: `The subtitle service at 127.0.0.1:${service.port} answered 404 Not Found` });
    expect((error as Error).message).not.toContain('s3cr3t');
  });

  it('reports a 5xx as SubtitlesUnavailableError, which the workflow retries', async () => {
    await expect(fetchSubtitles(at('/unavailable'), options())).rejects.toMatchObject({ name: 'SubtitlesUnavailableError' });
  });

  it('succeeds on the next attempt once the service recovers (what the retry relies on)', async () => {
    await expect(fetchSubtitles(at('/flaky'), options())).rejects.toMatchObject({ name: 'SubtitlesUnavailableError' });
    await expect(fetchSubtitles(at('/flaky'), options())).resolves.toMatchObject({ redirects: 0 });
  });

  it('gives up on a service that does not answer within the total timeout', async () => {
    const startedAt = Date.now();
    await expect(fetchSubtitles(at('/hang'), options({ totalTimeoutMs: 200 }))).rejects.toMatchObject({
      name: 'SubtitlesUnavailableError',
      message: expect.stringContaining('within 0.2 s'),
    });
    expect(Date.now() - startedAt).toBeLessThan(1500);
  });

  it('reports a refused connection as SubtitlesUnavailableError', async () => {
    const closed = await startServer(() => undefined);
    const port = closed.port;
    await new Promise((resolve) => closed.server.close(resolve));
    await expect(fetchSubtitles(at('/x', port), options({ allowedHosts: [`127.0.0.1:${port}`] }))).rejects.toMatchObject({
      name: 'SubtitlesUnavailableError',
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('stops reading past the size cap, whether the size is declared or not', async () => {
    await expect(fetchSubtitles(at('/big'), options())).rejects.toMatchObject({ name: 'SubtitlesInvalidError' });
    await expect(fetchSubtitles(at('/big-declared'), options())).rejects.toMatchObject({
      name: 'SubtitlesInvalidError',
      message: expect.stringContaining('larger than 1024 bytes'),
    });
  });

  it('stops following redirects after five', async () => {
    await expect(fetchSubtitles(at('/loop'), options())).rejects.toMatchObject({
      name: 'SubtitlesFetchFailedError',
      message: expect.stringContaining('more than 5 times'),
    });
  });

  it('reports a host that does not resolve as SubtitlesFetchFailedError', async () => {
    const resolve: Resolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    await expect(fetchSubtitles('https://nowhere.example.test/x.srt', { ...options(), resolve })).rejects.toMatchObject({
      name: 'SubtitlesFetchFailedError',
      message: expect.stringContaining('does not exist'),
    });
  });
});
