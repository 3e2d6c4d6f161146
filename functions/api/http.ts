import middy, { type MiddlewareObj, type MiddyfiedHandler } from '@middy/core';
import httpCors from '@middy/http-cors';
import httpEventNormalizer from '@middy/http-event-normalizer';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { z } from 'zod';
import {
  AppError,
  InternalError,
  UnsupportedMediaTypeError,
  ValidationError,
  isAppError,
} from '../core/errors.ts';
import { log } from '../core/log.ts';

/**
 * The one place where API handlers are assembled and where errors become HTTP responses.
 * A handler declares the schemas of what it accepts and a function that calls one use case.
 */
export interface ApiRequest<Body, Path, Query> {
  body: Body;
  path: Path;
  query: Query;
  requestId: string;
  event: APIGatewayProxyEvent;
}

export interface ApiResponse {
  statusCode: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface HandlerSchemas<Body extends z.ZodType, Path extends z.ZodType, Query extends z.ZodType> {
  body?: Body;
  path?: Path;
  query?: Query;
}

export function apiHandler<
  Body extends z.ZodType = z.ZodUndefined,
  Path extends z.ZodType = z.ZodUndefined,
  Query extends z.ZodType = z.ZodUndefined,
>(
  schemas: HandlerSchemas<Body, Path, Query> & { allowedOrigins: string[] },
  run: (request: ApiRequest<z.infer<Body>, z.infer<Path>, z.infer<Query>>) => Promise<ApiResponse>,
): MiddyfiedHandler<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context> {
  const middlewares = [
    httpEventNormalizer(),
    httpHeaderNormalizer(),
    // Only routes with a body parse one: a GET with a stray Content-Type must not fail.
    ...(schemas.body ? [httpJsonBodyParser()] : []),
  ];
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    // First, so its cleanup runs last: the error responder's log line still has the request's keys.
    .use(injectLambdaContext(log, { resetKeys: true }))
    .use(correlationId())
    .use(middlewares)
    .use(httpCors({ origins: schemas.allowedOrigins, exposeHeaders: 'ETag, Location' }))
    .use(errorResponder())
    .handler(async (event, context) => {
      const request = {
        body: parseWith(schemas.body, event.body, 'body'),
        path: parseWith(schemas.path, event.pathParameters, 'path'),
        query: parseWith(schemas.query, event.queryStringParameters, 'query'),
        requestId: requestIdOf(event, context),
        event,
      };
      const videoId = (request.path as { id?: unknown } | undefined)?.id;
      if (typeof videoId === 'string') log.appendKeys({ videoId });
      const response = await run(request);
      return toResult(response);
    });
  // httpEventNormalizer narrows the event type for the function body; callers still pass a raw proxy event.
  return handler as unknown as MiddyfiedHandler<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>;
}

function parseWith<Schema extends z.ZodType>(schema: Schema | undefined, value: unknown, where: string): z.infer<Schema> {
  if (schema === undefined) return undefined as z.infer<Schema>;
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({
    field: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  const summary = issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
  throw new ValidationError(`Invalid request ${summary}`, { details: issues });
}

function toResult({ statusCode, body, headers }: ApiResponse): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

function requestIdOf(event: APIGatewayProxyEvent, context: Context | undefined): string {
  return event.requestContext?.requestId ?? context?.awsRequestId ?? 'unknown';
}

/**
 * The id API Gateway gives the request (the `request_id` of error bodies, and of its access log) on every
 * log line of the invocation, as `correlation_id`; Lambda's own request id is `function_request_id`.
 */
function correlationId(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context> {
  return {
    before: (request) => {
      log.setCorrelationId(requestIdOf(request.event, request.context));
    },
  };
}

/**
 * Maps every error to `{error: {code, message, details?}, request_id}`. Client errors say what was wrong;
 * server errors say only that something failed, with the request id to find the details in the logs.
 */
export function errorResponder(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context> {
  return {
    onError: async (request) => {
      const error = toAppError(request.error);
      const requestId = requestIdOf(request.event, request.context);
      if (error.statusCode >= 500) {
        log.error('request failed', { requestId, code: error.code, error: request.error });
      }
      const body = error.expose
        ? { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) }
        : { code: error.code, message: 'The request could not be completed. Quote the request_id when reporting it.' };
      request.response = {
        ...request.response,
        statusCode: error.statusCode,
        headers: { ...request.response?.headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({ error: body, request_id: requestId }),
      };
    },
  };
}

/** Errors of middy's own middlewares (http-errors objects) are translated into our hierarchy. */
function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const fromBodyParser =
    error instanceof Error && (error.cause as { package?: string } | undefined)?.package === '@middy/http-json-body-parser';
  if (fromBodyParser && error.message === 'Unsupported Media Type') {
    return new UnsupportedMediaTypeError('Send the request body as JSON with Content-Type: application/json');
  }
  if (fromBodyParser) {
    return new ValidationError('The request body is not valid JSON');
  }
  return new InternalError('Unexpected error', { cause: error });
}
