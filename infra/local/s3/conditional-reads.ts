import type { Readable } from 'node:stream';
import { respondWithS3Error, S3Error } from './s3-error.ts';
import type { S3rverMiddleware } from './s3rver-context.ts';

/** `"abc"`, `abc` and `W/"abc"` name the same entity tag. */
function bareEtag(value: string): string {
  return value.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}

/**
 * GET and HEAD with `If-Match`, which s3rver ignores: S3 answers 412 PreconditionFailed when the object's
 * ETag is not the one given, so a reader that pinned an object (the worker pins the upload it claimed)
 * never reads another one written over it. Checked against the very object s3rver is about to send, so a
 * write between the check and the read cannot slip through.
 */
export function conditionalReads(): S3rverMiddleware {
  return async (context, next) => {
    const ifMatch = context.get('if-match');
    await next();
    if (ifMatch === '' || !['GET', 'HEAD'].includes(context.method) || (context.status !== 200 && context.status !== 206)) return;
    const etag = context.response.get('ETag');
    const wanted = ifMatch.split(',').map(bareEtag);
    if (wanted.includes('*') || wanted.includes(bareEtag(etag))) return;
    (context.body as Readable | undefined)?.destroy?.();
    context.remove('Content-Range');
    context.remove('ETag');
    await respondWithS3Error(
      context,
      new S3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' }),
    );
  };
}
