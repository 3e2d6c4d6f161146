import { randomBytes } from 'node:crypto';
import { accessDeniedMessage, s3AccessDeniedResponse, type AccessDenial } from '../iam/access-denied.ts';
import { addCorsHeaders } from './cors-headers.ts';
import type { S3rverContext, S3rverMiddleware } from './s3rver-context.ts';

/**
 * An error S3 answers with: its code, HTTP status, message and the extra elements S3 puts in the XML body
 * (e.g. `<HeadersNotSigned>`, `<MaxSizeAllowed>`). Thrown by the strict S3 middlewares (and by the streams
 * they hand to s3rver); `s3ErrorResponder` turns it into S3's XML error response.
 */
export class S3Error extends Error {
  override readonly name = 'S3Error';

  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details: Readonly<Record<string, string | number>> = {},
  ) {
    super(message);
  }
}

/** IAM refused the signer's role: S3's 403, in IAM's wording (iam/access-denied.ts writes it). */
export class S3AccessDeniedError extends S3Error {
  constructor(readonly denial: AccessDenial) {
    super('AccessDenied', 403, accessDeniedMessage(denial, { quoteResource: true }));
  }
}

/** `Access Denied`, the answer to an anonymous request on a bucket that grants nothing to anyone. */
export function accessDenied(message = 'Access Denied', details: Record<string, string | number> = {}): S3Error {
  return new S3Error('AccessDenied', 403, message, details);
}

export function s3ErrorXml(error: S3Error, requestId = randomBytes(8).toString('hex').toUpperCase()): string {
  const details = Object.entries(error.details).map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`);
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message>` +
    `${details.join('')}<RequestId>${requestId}</RequestId></Error>`
  );
}

/** Escapes element text (S3 leaves quotes as they are: its messages quote policy conditions). */
export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Answers the request with S3's XML error and the bucket's CORS headers (a browser sees S3's answer, not a
 * CORS failure): for the strict middlewares, the fault injector and the multipart listing alike.
 */
export async function respondWithS3Error(context: S3rverContext, error: S3Error, requestId?: string): Promise<void> {
  if (error instanceof S3AccessDeniedError) {
    const response = s3AccessDeniedResponse(error.denial, { method: context.method, ...(requestId === undefined ? {} : { requestId }) });
    context.status = response.statusCode;
    for (const [name, value] of Object.entries(response.headers)) context.set(name, value);
    context.body = response.body;
  } else {
    context.status = error.status;
    context.type = 'application/xml';
    context.body = s3ErrorXml(error, requestId);
  }
  await addCorsHeaders(context);
}

/**
 * Answers an S3Error thrown anywhere after it — by the strict middlewares, or by s3rver's handlers when a
 * stream they read fails with one (a POST file over its size range) — with S3's XML body and status. Other
 * errors go on to s3rver's own error handler.
 */
export function s3ErrorResponder(): S3rverMiddleware {
  return async (context, next) => {
    try {
      await next();
    } catch (error) {
      if (!(error instanceof S3Error)) throw error;
      await respondWithS3Error(context, error);
    }
  };
}
