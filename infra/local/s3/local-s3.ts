import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { MEDIA_BUCKET_CORS_RULES } from '../../shared/resources.ts';
import type { CloudLog } from '../cloud-log.ts';
import { LOCAL_REGION } from '../local-resources.ts';
import type { S3Access } from './s3-authorization.ts';
import type { LookupSecret } from './sigv4-verification.ts';
import { createS3FaultInjector, type S3FaultRule } from './fault-injection.ts';
import { multipartListingMiddleware } from './multipart-listing.ts';
import { createS3RequestLog, type S3RequestRecord } from './request-log.ts';
import { strictS3Middlewares, useAtomicStore } from './strict-s3-middlewares.ts';
import { enableDesForS3rver } from './s3rver-des-compat.ts';

/** The S3 API call that wrote an object: what EventBridge's "Object Created" names its `reason`. */
export type ObjectWriteOperation = 'PutObject' | 'POST Object' | 'CopyObject' | 'CompleteMultipartUpload';

/** What s3rver emits for each stored object: the S3 event notification record shape (abridged). */
export interface S3NotificationRecord {
  eventName: string;
  eventTime: string;
  s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string; sequencer: string } };
  /**
   * Added here: s3rver names both a form POST and a multipart completion `ObjectCreated:Post` (and gives a
   * multipart object a plain MD5 ETag), so the operation is taken from the request that caused the event.
   */
  operation?: ObjectWriteOperation;
}

export interface LocalS3 {
  endpoint: string;
  bucket: string;
  directory: string;
  onNotification(listener: (record: S3NotificationRecord) => void): void;
  /** Fails the next matching requests with a 5xx (see fault-injection.ts). */
  injectFault(rule: S3FaultRule): void;
  /** Requests failed by injected faults so far, as `METHOD key`. */
  injectedFailures(): string[];
  /** Every request for `key` so far, as S3's server access log would list them (see request-log.ts). */
  requestsFor(key: string): S3RequestRecord[];
  stop(): Promise<void>;
}

/**
 * s3rver on 127.0.0.1 (an IP, so SDK clients use path-style URLs) with the media bucket and its CORS rules.
 * Objects live in `dataDir/s3` when given (kept across restarts), else in a temp dir removed on stop.
 *
 * Notifications, measured with s3rver 3.7.1: every write that creates an object emits one — PutObject
 * (ObjectCreated:Put), form POST (ObjectCreated:Post), CopyObject (ObjectCreated:Copy, without ETag) and
 * CompleteMultipartUpload (ObjectCreated:Post again, with a plain MD5 ETag instead of S3's `<md5>-<parts>`).
 */
export async function startLocalS3(options: {
  bucket: string;
  /** The origins the bucket's CORS rules allow: the deployment's `allowedOrigins`, as the CDK bucket has them. */
  allowedOrigins: readonly string[];
  dataDir?: string;
  logger: CloudLog;
  /** The secret of each access key the local cloud issued (iam/credentials.ts). */
  lookupSecret: LookupSecret;
  /** IAM: every request is authorized as its signer (s3-authorization.ts). */
  access: S3Access;
}): Promise<LocalS3> {
  enableDesForS3rver();
  const directory = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'vidp-s3-')) : join(options.dataDir, 's3');
  await mkdir(directory, { recursive: true });

  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: options.bucket, configs: [corsConfigurationXml(options.allowedOrigins)] }],
  });
  // Objects are written whole or not at all (see atomic-store.ts).
  useAtomicStore(server, directory);
  // s3rver is a Koa app and composes its middleware when it starts listening: this one runs first.
  const requestOperation = new AsyncLocalStorage<ObjectWriteOperation | undefined>();
  server.middleware.unshift((context, next) => requestOperation.run(writeOperationOf(context), next));
  // As strict as S3 (signatures, POST policies, IAM), inside the write operation's storage, ahead of the
  // multipart listing, which is served ahead of s3rver's router, which answers both with 405 (see multipart-listing.ts).
  const strict = strictS3Middlewares({ lookupSecret: options.lookupSecret, region: LOCAL_REGION, access: options.access });
  server.middleware.splice(1, 0, ...strict, multipartListingMiddleware(directory));
  // Ahead of everything: an injected failure answers instead of S3.
  const faults = createS3FaultInjector();
  server.middleware.unshift(faults.middleware);
  // Outermost, as S3's access log: an injected failure is a request too.
  const requestLog = createS3RequestLog();
  server.middleware.unshift(requestLog.middleware);
  // A listener replaces Koa's default console printing; client errors (404 NoSuchKey…) are normal traffic.
  server.on('error', (error: Error & { status?: number }) => {
    if ((error.status ?? 500) >= 500) options.logger(`[s3] ${error.message}`);
  });
  const { port } = await server.run();

  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket: options.bucket,
    directory,
    onNotification(listener) {
      server.on('event', (event: { Records: S3NotificationRecord[] }) => {
        const operation = requestOperation.getStore();
        for (const record of event.Records) listener(operation === undefined ? record : { ...record, operation });
      });
    },
    injectFault: (rule) => faults.inject(rule),
    injectedFailures: () => faults.failed(),
    requestsFor: (key) => requestLog.requestsFor(key),
    async stop() {
      server.httpServer?.closeAllConnections();
      await server.close();
      if (options.dataDir === undefined) await rm(directory, { recursive: true, force: true });
    },
  };
}

function writeOperationOf(request: { method: string; query: Record<string, unknown>; headers: Record<string, unknown> }) {
  if (request.method === 'POST') return 'uploadId' in request.query ? 'CompleteMultipartUpload' : 'POST Object';
  if (request.method === 'PUT') return 'x-amz-copy-source' in request.headers ? 'CopyObject' : 'PutObject';
  return undefined;
}

/** The media bucket's CORS rules (infra/shared/resources.ts) with the deployment's origins, as stateful-stack.ts builds them. */
function corsConfigurationXml(allowedOrigins: readonly string[]): string {
  const rules = MEDIA_BUCKET_CORS_RULES.map((rule) =>
    [
      ...allowedOrigins.map((origin) => `<AllowedOrigin>${origin}</AllowedOrigin>`),
      ...rule.allowedMethods.map((method) => `<AllowedMethod>${method}</AllowedMethod>`),
      ...rule.allowedHeaders.map((header) => `<AllowedHeader>${header}</AllowedHeader>`),
      ...rule.exposedHeaders.map((header) => `<ExposeHeader>${header}</ExposeHeader>`),
      `<MaxAgeSeconds>${rule.maxAgeSeconds}</MaxAgeSeconds>`,
    ].join(''),
  );
  return `<CORSConfiguration>${rules.map((rule) => `<CORSRule>${rule}</CORSRule>`).join('')}</CORSConfiguration>`;
}
