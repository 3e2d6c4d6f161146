import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';

/** The part of s3rver's Koa context the strict S3 middlewares read and write. */
export interface S3rverContext {
  method: string;
  /** Koa's path: still percent-encoded, as the client sent it (s3rver's vhost middleware runs later). */
  path: string;
  querystring: string;
  query: Record<string, string | string[] | undefined>;
  headers: IncomingMessage['headers'];
  req: IncomingMessage;
  ip: string;
  status: number;
  type: string;
  body: unknown;
  state: Record<string, unknown>;
  app: EventEmitter;
  /** s3rver's object store (replaced by the atomic one, see atomic-store.ts). */
  store: unknown;
  set(field: string, value: string): void;
  get(field: string): string;
  is(...types: string[]): string | false | null;
}

export type S3rverMiddleware = (context: S3rverContext, next: () => Promise<void>) => Promise<void>;

/** The bucket and (decoded) key a path-style request addresses. */
export function bucketAndKey(path: string): { bucket: string; key: string } {
  const [, bucket = '', ...keyParts] = path.split('/');
  return { bucket: decodeURIComponent(bucket), key: decodeURIComponent(keyParts.join('/')) };
}
