import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from '../local-resources.ts';

export const LOCAL_API_ID = 'local';

/** Content types whose body the handler receives as text; anything else arrives base64-encoded. */
export function isTextContentType(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType === '') return true;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/x-www-form-urlencoded' ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/javascript'
  );
}

/** An HTTP request as the REST API (v1) Lambda proxy integration delivers it. */
export function toProxyEvent(request: {
  message: IncomingMessage;
  url: URL;
  body: Buffer;
  stage: string;
  resource: string;
  pathParameters: Record<string, string> | null;
  requestId: string;
  receivedAt: Date;
}): APIGatewayProxyEvent {
  const { message, url, body, stage } = request;
  const path = url.pathname.slice(`/${stage}`.length) || '/';
  const { headers, multiValueHeaders } = requestHeaders(message, url);
  const { single: queryStringParameters, multi: multiValueQueryStringParameters } = queryParameters(url.searchParams);
  const isBase64Encoded = body.length > 0 && !isTextContentType(message.headers['content-type']);
  const sourceIp = message.socket.remoteAddress ?? '127.0.0.1';
  return {
    resource: request.resource,
    path,
    httpMethod: message.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters,
    multiValueQueryStringParameters,
    pathParameters: request.pathParameters,
    stageVariables: null,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_API_ID,
      authorizer: null,
      protocol: `HTTP/${message.httpVersion}`,
      httpMethod: message.method ?? 'GET',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent: message.headers['user-agent'] ?? null,
        userArn: null,
      },
      path: url.pathname,
      stage,
      requestId: request.requestId,
      extendedRequestId: request.requestId,
      requestTime: request.receivedAt.toUTCString(),
      requestTimeEpoch: request.receivedAt.getTime(),
      resourceId: LOCAL_API_ID,
      resourcePath: request.resource,
      domainName: url.host,
    },
    body: body.length === 0 ? null : body.toString(isBase64Encoded ? 'base64' : 'utf8'),
    isBase64Encoded,
  };
}

/** Header names as the client sent them (not lower-cased), plus the X-Forwarded-* headers API Gateway adds. */
function requestHeaders(message: IncomingMessage, url: URL) {
  const multiValueHeaders: Record<string, string[]> = {};
  for (let index = 0; index < message.rawHeaders.length; index += 2) {
    const name = message.rawHeaders[index]!;
    (multiValueHeaders[name] ??= []).push(message.rawHeaders[index + 1]!);
  }
  const present = new Set(Object.keys(multiValueHeaders).map((name) => name.toLowerCase()));
  const forwarded = {
    'X-Forwarded-For': message.socket.remoteAddress ?? '127.0.0.1',
    'X-Forwarded-Port': url.port || '80',
    'X-Forwarded-Proto': url.protocol.replace(':', ''),
  };
  for (const [name, value] of Object.entries(forwarded)) {
    if (!present.has(name.toLowerCase())) multiValueHeaders[name] = [value];
  }
  const headers = Object.fromEntries(Object.entries(multiValueHeaders).map(([name, values]) => [name, values.at(-1)!]));
  return { headers, multiValueHeaders };
}

function queryParameters(search: URLSearchParams) {
  const multi: Record<string, string[]> = {};
  for (const [name, value] of search) (multi[name] ??= []).push(value);
  if (Object.keys(multi).length === 0) return { single: null, multi: null };
  return { single: Object.fromEntries(Object.entries(multi).map(([name, values]) => [name, values.at(-1)!])), multi };
}

export class MalformedProxyResponseError extends Error {
  override readonly name = 'MalformedProxyResponseError';
}

/**
 * A handler's result as API Gateway turns it into an HTTP response: headers and multiValueHeaders merged
 * (multiValueHeaders win for a name in both), the body decoded when isBase64Encoded, JSON unless told otherwise.
 */
export function fromProxyResult(result: unknown): { statusCode: number; headers: Record<string, string[]>; body: Buffer } {
  const candidate = result as Partial<APIGatewayProxyResult> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    !Number.isInteger(candidate.statusCode) ||
    (candidate.body !== undefined && candidate.body !== null && typeof candidate.body !== 'string')
  ) {
    throw new MalformedProxyResponseError('The handler did not return { statusCode, headers?, body? }');
  }
  const headers: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(candidate.multiValueHeaders ?? {})) headers[name] = values.map(String);
  const present = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  for (const [name, value] of Object.entries(candidate.headers ?? {})) {
    if (!present.has(name.toLowerCase())) headers[name] = [String(value)];
  }
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['Content-Type'] = ['application/json'];
  const text = candidate.body ?? '';
  return {
    statusCode: candidate.statusCode!,
    headers,
    body: Buffer.from(text, candidate.isBase64Encoded ? 'base64' : 'utf8'),
  };
}
