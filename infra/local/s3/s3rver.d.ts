// s3rver ships no type declarations; this covers only what infra/local/s3 uses.

declare module 's3rver' {
  import type { IncomingMessage, Server } from 'node:http';
  import type { EventEmitter } from 'node:events';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }

  /**
   * The Koa context, as far as infra/local/s3 reads and writes it (the strict S3 middlewares read the most:
   * the raw request, its query string and headers, the app's store).
   */
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
    /** A request header. */
    get(field: string): string;
    /** A response header is read here (Koa's context delegates `get` to the request). */
    response: { get(field: string): string };
    /** Removes a response header. */
    remove(field: string): void;
    is(...types: string[]): string | false | null;
  }

  export type S3rverMiddleware = (context: S3rverContext, next: () => Promise<void>) => Promise<void>;

  class S3rver extends EventEmitter {
    constructor(options?: S3rverOptions);
    /** Koa's middleware stack, composed when the server starts listening. */
    middleware: S3rverMiddleware[];
    /** The object store s3rver builds in its constructor (it takes no store option). */
    store: unknown;
    /** Koa's prototype of every request's context: its `store` is what the handlers use. */
    context: { store: unknown };
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
    httpServer?: Server;
  }

  export default S3rver;
}
