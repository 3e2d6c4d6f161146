// s3rver ships no type declarations; this covers only what infra/local/s3 uses.

declare module 's3rver' {
  import type { Server } from 'node:http';
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

  /** The Koa context, as far as infra/local reads it. */
  interface S3rverContext {
    method: string;
    path: string;
    query: Record<string, unknown>;
    headers: Record<string, unknown>;
    status: number;
    type: string;
    body: unknown;
  }

  class S3rver extends EventEmitter {
    constructor(options?: S3rverOptions);
    /** Koa's middleware stack, composed when the server starts listening. */
    middleware: ((context: S3rverContext, next: () => Promise<void>) => Promise<void>)[];
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
    httpServer?: Server;
  }

  export default S3rver;
}
