import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** A value that survives JSON.stringify/parse unchanged: what flows between workflow states. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Round-trips a value through JSON, as the wire does between Step Functions and a Lambda function:
 * `undefined` fields vanish, Dates become strings, class instances become plain objects.
 */
export function throughTheWire(value: unknown): JsonValue {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue);
}

export async function readJsonBody(request: AsyncIterable<Buffer | string>, maxBytes: number): Promise<unknown> {
  return JSON.parse((await readBody(request, maxBytes)).toString('utf8'));
}

/** The whole body, as bytes (what a signature covers); a RangeError past `maxBytes`. */
export async function readBody(request: AsyncIterable<Buffer | string>, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > maxBytes) throw new RangeError(`Request body larger than ${maxBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * An answer in the AWS JSON protocol the SDK's clients read (DynamoDB and Step Functions speak 1.0, ECS 1.1):
 * the body, its length and a request id. Errors are bodies too, `{__type, message}`.
 */
export function writeAwsJson(
  response: ServerResponse,
  statusCode: number,
  body: unknown,
  options: { protocolVersion: '1.0' | '1.1'; requestId?: string },
): void {
  if (response.headersSent) return;
  const text = JSON.stringify(body);
  response.writeHead(statusCode, {
    'content-type': `application/x-amz-json-${options.protocolVersion}`,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': options.requestId ?? randomUUID(),
  });
  response.end(text);
}
