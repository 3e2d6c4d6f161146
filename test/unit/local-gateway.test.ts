import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteBinding } from '../../functions/api/routes.ts';
import { createRouter } from '../../infra/local/apigateway/routing.ts';
import { startGateway, type LocalGateway } from '../../infra/local/apigateway/http-gateway.ts';
import { HandlerUnavailableError, type Handler } from '../../infra/local/lambda/handler.ts';

const ROUTES: RouteBinding[] = [
  { method: 'GET', path: '/videos', handler: 'echo' },
  { method: 'GET', path: '/videos/{id}', handler: 'echo' },
  { method: 'DELETE', path: '/videos/{id}', handler: 'echo' },
  { method: 'GET', path: '/videos/search', handler: 'echo' },
  { method: 'POST', path: '/files/{path+}', handler: 'echo' },
  { method: 'GET', path: '/broken', handler: 'throws' },
  { method: 'GET', path: '/binary', handler: 'binary' },
  { method: 'GET', path: '/missing', handler: 'not-written-yet' },
];

/** Handlers as an API module exports them: (event, context) → proxy result. */
const HANDLERS: Record<string, Handler> = {
  'functions/api/echo.ts': (event, context) => ({
    statusCode: 200,
    headers: { 'Content-Type': 'application/json', 'X-Single': 'one' },
    multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
    body: JSON.stringify({ event, requestId: (context as Context).awsRequestId }),
  }),
  'functions/api/throws.ts': () => {
    throw new Error('database on fire');
  },
  'functions/api/binary.ts': () => ({
    statusCode: 200,
    headers: { 'Content-Type': 'application/octet-stream' },
    body: Buffer.from([0, 1, 2, 255]).toString('base64'),
    isBase64Encoded: true,
  }),
};

describe('local API gateway', () => {
  let gateway: LocalGateway;
  const log: string[] = [];

  beforeAll(async () => {
    gateway = await startGateway({
      port: 0,
      routes: ROUTES,
      allowedOrigins: ['*'],
      logger: (line) => log.push(line),
      local: { info: () => ({}), listExecutions: () => [], getExecution: () => undefined },
      loadHandler: async (modulePath) => {
        const handler = HANDLERS[modulePath];
        if (handler === undefined) throw new HandlerUnavailableError(`Cannot find module ${modulePath}`);
        return handler;
      },
    });
  });

  afterAll(async () => {
    await gateway.stop();
  });

  async function echo(path: string, init?: RequestInit): Promise<{ event: APIGatewayProxyEvent; requestId: string; response: Response }> {
    const response = await fetch(`${gateway.url}${path}`, init);
    return { ...((await response.json()) as { event: APIGatewayProxyEvent; requestId: string }), response };
  }

  it('hands the handler a REST API proxy event for the matched resource', async () => {
    const { event, requestId } = await echo('/api/videos/abc%20d?limit=5&tag=a&tag=b', { headers: { 'X-Custom': 'yes' } });

    expect(event).toMatchObject({
      resource: '/videos/{id}',
      path: '/videos/abc%20d',
      httpMethod: 'GET',
      pathParameters: { id: 'abc d' },
      queryStringParameters: { limit: '5', tag: 'b' },
      multiValueQueryStringParameters: { limit: ['5'], tag: ['a', 'b'] },
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: { stage: 'api', resourcePath: '/videos/{id}', path: '/api/videos/abc%20d', httpMethod: 'GET', requestId },
    });
    expect(event.headers['X-Custom']).toBe('yes');
    expect(event.multiValueHeaders['X-Custom']).toEqual(['yes']);
    expect(event.requestContext.identity.sourceIp).toBe('127.0.0.1');
  });

  it('prefers a literal resource over a path parameter, as API Gateway does', async () => {
    const { event } = await echo('/api/videos/search');

    expect(event.resource).toBe('/videos/search');
  });

  it('passes a JSON body as text and a binary body base64-encoded', async () => {
    const { event: json } = await echo('/api/files/a/b.json', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"a":1}',
    });
    const { event: binary } = await echo('/api/files/c', {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: new Uint8Array([0, 255]),
    });

    expect(json).toMatchObject({ body: '{"a":1}', isBase64Encoded: false, pathParameters: { path: 'a/b.json' } });
    expect(binary).toMatchObject({ body: Buffer.from([0, 255]).toString('base64'), isBase64Encoded: true });
  });

  it('writes the handler’s status, headers, multi-value headers and request id', async () => {
    const { response, requestId } = await echo('/api/videos');

    expect(response.status).toBe(200);
    expect(response.headers.get('x-single')).toBe('one');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(response.headers.get('x-amzn-requestid')).toBe(requestId);
  });

  it('decodes a base64 body from the handler', async () => {
    const response = await fetch(`${gateway.url}/api/binary`);

    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('answers 502 "Internal server error" when the handler throws, keeping the details in the log', async () => {
    const response = await fetch(`${gateway.url}/api/broken`);

    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ message: 'Internal server error' });
    expect(log.some((line) => line.includes('database on fire'))).toBe(true);
  });

  it('answers 500 naming the module when a route’s handler cannot be loaded', async () => {
    const response = await fetch(`${gateway.url}/api/missing`);

    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({
      error: { code: 'handler_unavailable', message: expect.stringContaining('functions/api/not-written-yet.ts') },
    });
  });

  it('answers a preflight with the methods of the resource', async () => {
    const response = await fetch(`${gateway.url}/api/videos/abc`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'DELETE' },
    });

    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET,DELETE,OPTIONS');
  });

  it('answers 405 with an Allow header for a method the resource does not have', async () => {
    const response = await fetch(`${gateway.url}/api/videos/abc`, { method: 'PATCH' });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, DELETE');
  });
});

describe('API routing', () => {
  const router = createRouter(ROUTES);

  it('does not match a path with more segments than the resource', () => {
    expect(router.match('GET', '/videos/abc/extra')).toEqual({ kind: 'not_found' });
  });

  it('matches a greedy path parameter over any number of segments', () => {
    expect(router.match('POST', '/files/x/y/z')).toMatchObject({ kind: 'matched', pathParameters: { path: 'x/y/z' } });
  });

  it('has no path parameters for a literal resource', () => {
    expect(router.match('GET', '/videos')).toMatchObject({ kind: 'matched', pathParameters: null });
  });
});
