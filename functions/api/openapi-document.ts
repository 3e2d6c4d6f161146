import { z } from 'zod';
import { ErrorResponseSchema } from './contract.ts';
import { API_BASE_PATH, API_ROUTES, type ApiRoute } from './routes.ts';

/**
 * The OpenAPI 3.1 description of the API, generated from the route table and the very zod schemas the
 * handlers validate with (JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
 */
type JsonSchema = Record<string, unknown>;

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is invalid: `error.details` names the fields',
  404: 'No such video',
  409: 'The video is not in a state that allows this',
  413: 'The video is larger than allowed',
  415: 'Unsupported media type (file extension, content type, or a body that is not JSON)',
  500: 'Internal error: quote `request_id` when reporting it',
};

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function queryParameters(route: ApiRoute) {
  if (route.query === undefined) return [];
  const schema = toSchema(route.query, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    schema: property,
  }));
}

function pathParameters(route: ApiRoute) {
  return [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string', format: 'uuid' },
  }));
}

function operation(route: ApiRoute) {
  const successes = Object.entries(route.responses).map(([status, response]) => [
    status,
    {
      description: response.description,
      ...(response.schema === undefined ? {} : { content: { 'application/json': { schema: toSchema(response.schema, 'output') } } }),
    },
  ]);
  const errors = [400, ...(route.errors ?? []), 500].map((status) => [
    String(status),
    { description: ERROR_DESCRIPTIONS[status] ?? 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  ]);
  return {
    operationId: route.operationId,
    summary: route.summary,
    parameters: [...pathParameters(route), ...queryParameters(route)],
    ...(route.body === undefined
      ? {}
      : { requestBody: { required: true, content: { 'application/json': { schema: toSchema(route.body, 'input') } } } }),
    responses: Object.fromEntries([...successes, ...errors]),
  };
}

export function buildOpenApiDocument(version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of API_ROUTES) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'vidp',
      version,
      description: 'Burn subtitles into uploaded videos and compress them to MP4; upload straight to S3, play from presigned URLs.',
    },
    servers: [{ url: API_BASE_PATH }],
    paths,
    components: { schemas: { Error: toSchema(ErrorResponseSchema, 'output') } },
  };
}
