import { accessDeniedMessage } from '../iam/access-denied.ts';
import type { LocalAccess } from '../iam/local-access.ts';
import type { LocalPrincipal } from '../iam/credentials.ts';
import { deleteObjectsRequests, requiredActionsForS3, type S3Call } from '../iam/required-actions.ts';
import { escapeXml, S3AccessDeniedError, S3Error } from './s3-error.ts';
import { bucketAndKey, type S3rverContext, type S3rverMiddleware } from './s3rver-context.ts';
import type { VerifiedCaller } from './sigv4-verification.ts';

/**
 * IAM for the local S3, after the signature is verified: the signer's role must be allowed the request's
 * action on its resource (requiredActionsForS3), as S3 checks it at the moment of the request — so a presigned
 * URL or POST is decided as its signer's role when it is used, not when it was signed. What S3 adds:
 * - a GetObject/HeadObject of a missing key answers 404 only to a caller allowed s3:ListBucket, else 403;
 * - DeleteObjects decides key by key: a refused key is reported in the result's `Error`s, the others deleted.
 * A request of a role that no rule here maps is refused as not implemented, rather than let through.
 */
export type S3Access = Pick<LocalAccess, 'identify' | 'authorize' | 'missingObject' | 'account'>;

/** The principal of a verified signature, or S3's refusal of its session token. */
export function s3PrincipalOf(access: S3Access, caller: VerifiedCaller): LocalPrincipal {
  const principal = access.identify(caller);
  if (principal === 'invalid-token') throw new S3Error('InvalidToken', 400, 'The provided token is malformed or otherwise invalid.');
  if (principal === 'unknown-key') {
    throw new S3Error('InvalidAccessKeyId', 403, 'The AWS Access Key Id you provided does not exist in our records.', {
      AWSAccessKeyId: caller.accessKeyId,
    });
  }
  return principal;
}

/** Authorizes one S3 call of `principal`; throws S3's AccessDenied naming the first refused action. */
export async function authorizeS3Call(access: S3Access, principal: LocalPrincipal, operation: string, call: S3Call): Promise<void> {
  const result = await access.authorize(principal, requiredActionsForS3(operation, call, access.account));
  if (!result.allowed) throw new S3AccessDeniedError(result.denial);
}

export function s3Authorization(access: S3Access): S3rverMiddleware {
  return async (context, next) => {
    const caller = context.state.s3Caller as VerifiedCaller | undefined;
    if (context.method === 'OPTIONS' || caller === undefined) {
      await next();
      return;
    }
    const principal = s3PrincipalOf(access, caller);
    const request = s3RequestOf(context);
    if (request?.operation === 'DeleteObjects') {
      await deleteObjects(context, access, principal, request.call.Bucket);
      return;
    }
    if (request === undefined) {
      if (principal.kind === 'admin') {
        await next();
        return;
      }
      throw new S3Error(
        'NotImplemented',
        501,
        `The local cloud does not know which IAM actions ${context.method} ${context.path}?${context.querystring} needs ` +
          '(infra/local/s3/s3-authorization.ts, infra/local/iam/required-actions.ts)',
      );
    }
    await authorizeS3Call(access, principal, request.operation, request.call);
    if (request.operation !== 'GetObject' && request.operation !== 'HeadObject') {
      await next();
      return;
    }
    try {
      await next();
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'NoSuchKey') throw error;
      const outcome = await access.missingObject(principal, request.call.Bucket);
      throw outcome.status === 404 ? error : new S3AccessDeniedError(outcome.denial);
    }
  };
}

/** Query parameters that name a sub-resource of a bucket or an object (the rest are options of the operation). */
const SUBRESOURCES = new Set([
  'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'delete', 'encryption', 'intelligent-tiering', 'inventory',
  'legal-hold', 'lifecycle', 'location', 'logging', 'metrics', 'notification', 'object-lock', 'ownershipControls',
  'policy', 'policyStatus', 'publicAccessBlock', 'replication', 'requestPayment', 'restore', 'retention', 'select',
  'tagging', 'torrent', 'uploadId', 'uploads', 'versioning', 'versions', 'website',
]);

/** The S3 API operation a path-style request is, with the parameters IAM reads; undefined for one not mapped. */
export function s3RequestOf(context: Pick<S3rverContext, 'method' | 'path' | 'query' | 'headers'>): { operation: string; call: S3Call } | undefined {
  const { bucket, key } = bucketAndKey(context.path);
  if (bucket === '') return undefined;
  const query = context.query;
  const present = Object.keys(query).filter((name) => SUBRESOURCES.has(name));
  const only = (...names: string[]) => present.length === names.length && names.every((name) => present.includes(name));
  const copySource = single(context.headers['x-amz-copy-source']);
  const method = context.method.toUpperCase();
  if (key === '') {
    const listing = { Bucket: bucket, Prefix: single(query.prefix), Delimiter: single(query.delimiter), ...maxKeys(query['max-keys']) };
    if (method === 'HEAD' && only()) return { operation: 'HeadBucket', call: { Bucket: bucket } };
    if (method === 'GET' && only()) return { operation: single(query['list-type']) === '2' ? 'ListObjectsV2' : 'ListObjects', call: withoutUndefined(listing) };
    if (method === 'GET' && only('uploads')) return { operation: 'ListMultipartUploads', call: { Bucket: bucket } };
    if (method === 'POST' && only('delete')) return { operation: 'DeleteObjects', call: { Bucket: bucket } };
    return undefined;
  }
  const object = { Bucket: bucket, Key: key };
  const operation = objectOperation(method, only, copySource !== undefined);
  if (operation === undefined) return undefined;
  return { operation, call: copySource === undefined ? object : { ...object, CopySource: copySource } };
}

function objectOperation(method: string, only: (...names: string[]) => boolean, copy: boolean): string | undefined {
  switch (method) {
    case 'GET':
      return only() ? 'GetObject' : only('uploadId') ? 'ListParts' : undefined;
    case 'HEAD':
      return only() ? 'HeadObject' : undefined;
    case 'PUT':
      if (only()) return copy ? 'CopyObject' : 'PutObject';
      return only('uploadId') ? (copy ? 'UploadPartCopy' : 'UploadPart') : undefined;
    case 'POST':
      return only('uploads') ? 'CreateMultipartUpload' : only('uploadId') ? 'CompleteMultipartUpload' : undefined;
    case 'DELETE':
      return only() ? 'DeleteObject' : only('uploadId') ? 'AbortMultipartUpload' : undefined;
    default:
      return undefined;
  }
}

interface DeletingStore {
  existsObject(bucket: string, key: string): Promise<boolean>;
  deleteObject(bucket: string, key: string): Promise<void>;
}

/** S3 accepts at most this many keys per DeleteObjects. */
const MAX_DELETE_KEYS = 1000;

/**
 * DeleteObjects, served here rather than by s3rver (which deletes every key it is sent): each key is
 * authorized on its own, as S3 does, and the result lists what was deleted and, for each refused key, an
 * AccessDenied `Error`. With `Quiet`, only the errors.
 */
async function deleteObjects(context: S3rverContext, access: S3Access, principal: LocalPrincipal, bucket: string): Promise<void> {
  const body = await readText(context);
  const keys = [...body.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map((object) => /<Key>([\s\S]*?)<\/Key>/.exec(object[1]!)?.[1]);
  if (keys.length === 0 || keys.length > MAX_DELETE_KEYS || keys.some((key) => key === undefined)) {
    throw new S3Error('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema');
  }
  const quiet = /<Quiet>\s*true\s*<\/Quiet>/i.test(body);
  const store = context.store as DeletingStore;
  const entries = await Promise.all(
    deleteObjectsRequests(bucket, keys.map((key) => unescapeXml(key!)), access.account).map(async ({ key, request }) => {
      const result = await access.authorize(principal, [request]);
      if (!result.allowed) {
        const message = accessDeniedMessage(result.denial, { quoteResource: true });
        return `<Error><Key>${escapeXml(key)}</Key><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message></Error>`;
      }
      if (await store.existsObject(bucket, key)) await store.deleteObject(bucket, key);
      return quiet ? '' : `<Deleted><Key>${escapeXml(key)}</Key></Deleted>`;
    }),
  );
  context.status = 200;
  context.type = 'application/xml';
  context.body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${entries.join('')}</DeleteResult>`;
}

async function readText(context: S3rverContext): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of context.req) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp|#x[0-9a-fA-F]+|#\d+);/g, (_match, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' }[entity]!;
  });
}

function maxKeys(value: unknown): { MaxKeys?: number } {
  const text = single(value);
  return text === undefined || !/^\d+$/.test(text) ? {} : { MaxKeys: Number(text) };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

function single(value: unknown): string | undefined {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}
