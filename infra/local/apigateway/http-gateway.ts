import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_BASE_PATH, API_ROUTES, type RouteBinding } from '../../../functions/api/routes.ts';
import { functionModule } from '../../shared/repository.ts';
import { API_CORS_PREFLIGHT } from '../../shared/resources.ts';
import type { CloudLog } from '../cloud-log.ts';
import type { StaticSite } from '../site/static-site.ts';
import { createLambdaContext } from '../lambda/context.ts';
import { HandlerUnavailableError, type Handler } from '../lambda/handler.ts';
import { fromProxyResult, MalformedProxyResponseError, toProxyEvent } from './proxy-event.ts';
import { createRouter } from './routing.ts';

/** API Gateway's payload limit for REST APIs. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** API Gateway's integration timeout: a handler that takes longer gets the client a 504. */
export const INTEGRATION_TIMEOUT_MS = 29_000;

/** What the gateway serves outside the API, for people and tests looking at the local cloud. */
export interface LocalEndpointsProvider {
  info(): unknown;
  listExecutions(): unknown[];
  getExecution(name: string): unknown;
  /** What the workflow published on the event bus (VideoSaved, VideoFailed), oldest first. */
  listEvents?(): unknown[];
  /** `POST /_local/schedules/{name}`: runs a schedule's function now (under its own role), answering what it returned. */
  runSchedule?(name: string): Promise<unknown>;
  /** `GET /_local/tasks`: the ECS tasks started, with the capacity provider each ran on. */
  listTasks?(): unknown[];
  /** `POST /_local/tasks/{arn, id or video id}/interrupt`: a Fargate Spot interruption (SIGTERM to its worker). */
  interruptSpotTask?(reference: string): unknown;
}

export interface LocalGateway {
  url: string;
  stop(): Promise<void>;
}

const STAGE = API_BASE_PATH.replace(/^\//, '');

/**
 * The local API Gateway: every route of functions/api/routes.ts, each served by the `handler` of
 * functions/api/{handler}.ts called with a REST proxy event, and the local-only endpoints under /_local.
 */
export async function startGateway(options: {
  port: number;
  loadHandler: (modulePath: string) => Promise<Handler>;
  local: LocalEndpointsProvider;
  logger: CloudLog;
  /** Origins answered in CORS preflights ("*" for any). */
  allowedOrigins: readonly string[];
  routes?: readonly RouteBinding[];
  /** The web page, at / (what CloudFront serves on AWS, with /api routed to the stage). */
  site?: StaticSite;
}): Promise<LocalGateway> {
  const router = createRouter(options.routes ?? API_ROUTES);

  async function serveApi(message: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const requestId = randomUUID();
    const receivedAt = new Date();
    const send = (statusCode: number, body: unknown, headers: Record<string, string | string[]> = {}) =>
      writeJson(response, statusCode, body, { 'x-amzn-RequestId': requestId, ...headers });
    const apiError = (statusCode: number, code: string, message: string, headers: Record<string, string> = {}) =>
      send(statusCode, { error: { code, message }, request_id: requestId }, { 'Access-Control-Allow-Origin': '*', ...headers });

    const path = url.pathname.slice(API_BASE_PATH.length) || '/';
    const method = message.method ?? 'GET';
    if (method === 'OPTIONS') {
      const found = router.resourceFor(path);
      if (found === undefined) return apiError(404, 'not_found', `No resource at ${url.pathname}`);
      return preflight(message, response, found.resource.routes.map((route) => route.method), options.allowedOrigins);
    }

    const match = router.match(method, path);
    if (match.kind === 'not_found') return apiError(404, 'not_found', `No route for ${method} ${url.pathname}`);
    if (match.kind === 'method_not_allowed') {
      const allow = match.allowedMethods.join(', ');
      return apiError(405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}; allowed: ${allow}`, { Allow: allow });
    }

    const body = await readBody(message);
    if (body === undefined) {
      return apiError(413, 'payload_too_large', `Request body larger than ${MAX_REQUEST_BYTES} bytes`, { Connection: 'close' });
    }
    const event = toProxyEvent({
      message,
      url,
      body,
      stage: STAGE,
      resource: match.route.path,
      pathParameters: match.pathParameters,
      requestId,
      receivedAt,
    });
    const modulePath = functionModule('api', match.route.handler);
    const context = createLambdaContext({ functionName: `vidp-api-${match.route.handler}`, requestId, timeoutMs: INTEGRATION_TIMEOUT_MS });
    try {
      const handler = await options.loadHandler(modulePath);
      const result = fromProxyResult(await withTimeout(handler(event, context), INTEGRATION_TIMEOUT_MS));
      response.writeHead(result.statusCode, { 'x-amzn-RequestId': requestId, ...result.headers });
      response.end(result.body);
    } catch (error) {
      if (error instanceof HandlerUnavailableError) {
        // Local only: on AWS a function that cannot load never gets deployed this far.
        options.logger(`[api] ${error.message}`);
        return apiError(500, 'handler_unavailable', error.message);
      }
      if (error instanceof IntegrationTimeoutError) return send(504, { message: 'Endpoint request timed out' });
      const reason = error instanceof MalformedProxyResponseError ? error.message : ((error as Error).stack ?? String(error));
      options.logger(`[api] ${match.route.handler} failed: ${reason}`);
      // API Gateway's answer to a failed Lambda invocation; the details stay in the (local) log.
      return send(502, { message: 'Internal server error' });
    }
  }

  function serveLocal(response: ServerResponse, url: URL): void {
    const headers = { 'Access-Control-Allow-Origin': '*' };
    if (url.pathname === '/_local/info') return writeJson(response, 200, options.local.info(), headers);
    if (url.pathname === '/_local/executions') return writeJson(response, 200, options.local.listExecutions(), headers);
    if (url.pathname === '/_local/events') return writeJson(response, 200, options.local.listEvents?.() ?? [], headers);
    if (url.pathname === '/_local/tasks') return writeJson(response, 200, options.local.listTasks?.() ?? [], headers);
    const name = /^\/_local\/executions\/([^/]+)$/.exec(url.pathname)?.[1];
    const execution = name === undefined ? undefined : options.local.getExecution(decodeURIComponent(name));
    if (execution !== undefined) return writeJson(response, 200, execution, headers);
    writeJson(response, 404, { error: { code: 'not_found', message: `Nothing at ${url.pathname}` } }, headers);
  }

  /** 200 with the interrupted task; 404 for no such running task, 409 for one on FARGATE (never interrupted). */
  function interrupt(response: ServerResponse, reference: string): void {
    try {
      writeJson(response, 200, options.local.interruptSpotTask!(reference));
    } catch (error) {
      const statusCode = (error as { statusCode?: number }).statusCode;
      if (statusCode !== 404 && statusCode !== 409) {
        options.logger(`[api] interrupting ${reference}: ${(error as Error).stack ?? String(error)}`);
        return writeJson(response, 500, { message: 'Internal server error' });
      }
      writeJson(response, statusCode, { error: { code: statusCode === 404 ? 'not_found' : 'conflict', message: (error as Error).message } });
    }
  }

  /** Outside /api and /_local: the page's files, else a plain 404 (a browser shows it; no API error shape). */
  function serveSite(message: IncomingMessage, response: ServerResponse, url: URL): void {
    if (options.site?.serve(message, response, url.pathname)) return;
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
    response.end(message.method === 'HEAD' ? undefined : `Not found: ${url.pathname}\n`);
  }

  const server: Server = createServer((message, response) => {
    const startedAt = Date.now();
    const url = new URL(message.url ?? '/', `http://${message.headers.host ?? '127.0.0.1'}`);
    response.on('finish', () =>
      options.logger(`[api] ${message.method} ${url.pathname}${url.search} → ${response.statusCode} ${Date.now() - startedAt} ms`),
    );
    const isApi = url.pathname === API_BASE_PATH || url.pathname.startsWith(`${API_BASE_PATH}/`);
    const schedule = /^\/_local\/schedules\/([\w-]+)$/.exec(url.pathname)?.[1];
    const interruption = /^\/_local\/tasks\/(.+)\/interrupt$/.exec(url.pathname)?.[1];
    if (message.method === 'POST' && interruption !== undefined && options.local.interruptSpotTask !== undefined) {
      return void interrupt(response, decodeURIComponent(interruption));
    }
    const served = isApi
      ? serveApi(message, response, url)
      : message.method === 'GET' && url.pathname.startsWith('/_local/')
        ? Promise.resolve(serveLocal(response, url))
        : message.method === 'POST' && schedule !== undefined && options.local.runSchedule !== undefined
          ? options.local.runSchedule(schedule).then((result) => writeJson(response, 200, result ?? null))
          : Promise.resolve(serveSite(message, response, url));
    served.catch((error: unknown) => {
      options.logger(`[api] ${(error as Error).stack ?? String(error)}`);
      if (!response.headersSent) writeJson(response, 500, { message: 'Internal server error' });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** API Gateway's CORS preflight: the resource's methods, the configured headers, the origin if allowed. */
function preflight(message: IncomingMessage, response: ServerResponse, methods: string[], allowedOrigins: readonly string[]): void {
  const origin = message.headers.origin;
  const allowOrigin = allowedOrigins.includes('*')
    ? '*'
    : origin !== undefined && allowedOrigins.includes(origin)
      ? origin
      : (allowedOrigins[0] ?? '');
  response.writeHead(API_CORS_PREFLIGHT.statusCode, {
    'Access-Control-Allow-Origin': allowOrigin,
    'Access-Control-Allow-Methods': [...methods, 'OPTIONS'].join(','),
    'Access-Control-Allow-Headers': API_CORS_PREFLIGHT.allowHeaders.join(','),
    'Access-Control-Max-Age': String(API_CORS_PREFLIGHT.maxAgeSeconds),
    ...(allowOrigin === '*' ? {} : { Vary: 'Origin' }),
  });
  response.end();
}

/**
 * The body, or undefined as soon as it exceeds API Gateway's limit. The rest is read and dropped, not buffered,
 * and the socket stays open so the 413 reaches the client.
 */
function readBody(message: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    if (Number(message.headers['content-length'] ?? 0) > MAX_REQUEST_BYTES) {
      message.resume();
      return resolve(undefined);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) return void chunks.push(chunk);
      message.off('data', onData);
      message.resume();
      resolve(undefined);
    };
    message.on('data', onData);
    message.once('end', () => resolve(Buffer.concat(chunks)));
    message.once('error', reject);
  });
}

class IntegrationTimeoutError extends Error {}

async function withTimeout<T>(value: T | Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new IntegrationTimeoutError()), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve(value), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function writeJson(response: ServerResponse, statusCode: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  response.writeHead(statusCode, { 'Content-Type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}
