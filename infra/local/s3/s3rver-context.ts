/** s3rver's Koa context and middleware, as declared in s3rver.d.ts. */
export type { S3rverContext, S3rverMiddleware } from 's3rver';

/** The bucket and (decoded) key a path-style request addresses. */
export function bucketAndKey(path: string): { bucket: string; key: string } {
  const [, bucket = '', ...keyParts] = path.split('/');
  return { bucket: decodeURIComponent(bucket), key: decodeURIComponent(keyParts.join('/')) };
}
