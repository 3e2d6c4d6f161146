import { conditionalReads } from './conditional-reads.ts';
import { postObject } from './post-object.ts';
import { s3Authorization, type S3Access } from './s3-authorization.ts';
import { s3ErrorResponder } from './s3-error.ts';
import type { S3rverMiddleware } from './s3rver-context.ts';
import { signatureVerification, type LookupSecret } from './sigv4-verification.ts';

export { useAtomicStore } from './atomic-store.ts';

export interface StrictS3Options {
  /** The secret of each access key id the local cloud issued (one per role); undefined for any other. */
  lookupSecret: LookupSecret;
  /** The region of the local cloud: a signature scoped to another region is refused. */
  region?: string;
  now?: () => Date;
  /**
   * IAM: each signed request (and each POST form) is authorized as its signer's role (s3-authorization.ts).
   * Without it the middlewares check signatures and POST policies only.
   */
  access?: S3Access;
}

/**
 * What makes s3rver as strict as S3, in the order they must run: S3's XML errors for everything below them,
 * POST Object with its policy enforced, then a valid SigV4 signature for every other request (CORS
 * preflights excepted), then IAM (when given `access`), then `If-Match` on reads. Together with
 * `useAtomicStore(server, directory)` (s3rver builds its store in its
 * constructor and takes no store option: replace it before `run()`).
 *
 * Where they go in local-s3.ts (s3rver's Koa middleware list, composed when it starts listening):
 *   [s3 fault injector, write-operation AsyncLocalStorage, ...strictS3Middlewares(options), multipart listing, ...s3rver's own]
 * - after the fault injector: an injected 5xx stands for S3 failing before it looks at the request;
 * - after the AsyncLocalStorage: POST Object emits its "Object Created" event here, and local-s3.ts reads the
 *   operation from that storage;
 * - before the multipart listing: ListParts and AbortMultipartUpload need a signature like everything else.
 */
export function strictS3Middlewares(options: StrictS3Options): S3rverMiddleware[] {
  return [
    s3ErrorResponder(),
    postObject(options),
    signatureVerification(options),
    ...(options.access === undefined ? [] : [s3Authorization(options.access)]),
    conditionalReads(),
  ];
}
