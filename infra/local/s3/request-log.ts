import { bucketAndKey, type S3rverMiddleware } from './s3rver-context.ts';

/**
 * Every request the local S3 received, as S3's server access logs record them (operation, key, range,
 * status), so that tests and the bench can count what a reader cost: a GET is billed, and on S3 each one
 * adds a round trip. It only observes: the request is served as it would be without it.
 */
export interface S3RequestRecord {
  method: string;
  key: string;
  /** The Range header as sent, when there was one. */
  range: string | undefined;
  status: number;
}

export interface S3RequestLog {
  middleware: S3rverMiddleware;
  /** The requests for `key` so far, in arrival order. */
  requestsFor(key: string): S3RequestRecord[];
}

/** A long-running local cloud (`npm start`) keeps the most recent ones only. */
const KEPT_RECORDS = 100_000;

export function createS3RequestLog(): S3RequestLog {
  const records: S3RequestRecord[] = [];
  return {
    async middleware(context, next) {
      const { key } = bucketAndKey(context.path);
      const range = context.headers.range;
      try {
        await next();
      } finally {
        records.push({ method: context.method, key, range: typeof range === 'string' ? range : undefined, status: context.status });
        if (records.length > KEPT_RECORDS) records.splice(0, records.length - KEPT_RECORDS);
      }
    },
    requestsFor: (key) => records.filter((record) => record.key === key),
  };
}
