import { respondWithS3Error, S3Error } from './s3-error.ts';
import { bucketAndKey, type S3rverMiddleware } from './s3rver-context.ts';

/**
 * Makes the local S3 fail on purpose, the way S3 sometimes does (500 InternalError, 503 SlowDown), so tests
 * can show what the pipeline does about it. A rule answers the next `times` requests that match it with
 * the error instead of serving them; then it is spent.
 */
export interface S3FaultRule {
  /** HTTP method of the requests to fail, e.g. PUT for uploads (PutObject, UploadPart). */
  method: string;
  /** Object keys to fail, e.g. /^videos\// */
  key: RegExp;
  status: 500 | 503;
  times: number;
}

export interface S3FaultInjector {
  middleware: S3rverMiddleware;
  inject(rule: S3FaultRule): void;
  /** Requests failed so far, as `METHOD key`. */
  failed(): string[];
}

export function createS3FaultInjector(): S3FaultInjector {
  const rules: S3FaultRule[] = [];
  const failed: string[] = [];
  return {
    async middleware(context, next) {
      const { key } = bucketAndKey(context.path);
      const rule = rules.find((candidate) => candidate.times > 0 && candidate.method === context.method && candidate.key.test(key));
      if (rule === undefined) {
        await next();
        return;
      }
      rule.times -= 1;
      failed.push(`${context.method} ${key}`);
      const code = rule.status === 503 ? 'SlowDown' : 'InternalError';
      await respondWithS3Error(context, new S3Error(code, rule.status, 'Injected by the local cloud'), 'local-fault');
    },
    inject(rule) {
      rules.push({ ...rule });
    },
    failed: () => [...failed],
  };
}
