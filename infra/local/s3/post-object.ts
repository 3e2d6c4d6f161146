import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import busboy from 'busboy';
import { addCorsHeaders } from './cors-headers.ts';
import { ContentLengthGuard, checkPostPolicy, contentLengthViolation, decodePostPolicy } from './post-policy.ts';
import { S3Error, accessDenied, escapeXml as escape } from './s3-error.ts';
import { authorizeS3Call, s3PrincipalOf, type S3Access } from './s3-authorization.ts';
import type { S3rverContext, S3rverMiddleware } from './s3rver-context.ts';
import { verifyPostPolicySignature, type LookupSecret, type VerificationOptions } from './sigv4-verification.ts';

/**
 * POST Object (browser uploads with a presigned POST form), served in place of s3rver's handler, which
 * ignores the policy. The form is parsed as it streams: the fields before the file are checked — signature,
 * expiry, every policy condition — before a byte of the file is stored, and the file goes to s3rver's store
 * through a guard that fails it the moment it exceeds the policy's content-length-range. A refused upload is
 * drained and answered with S3's error; with the atomic store (atomic-store.ts) nothing of it becomes visible.
 * The answer and the "Object Created" event are s3rver's own (204, or success_action_status /
 * success_action_redirect; `ObjectCreated:Post`). With `access`, the signer's role must be allowed s3:PutObject
 * on the key, decided when the form is posted (IAM evaluates a presigned POST at use, as its signer).
 */

export interface PostObjectOptions extends VerificationOptions {
  lookupSecret: LookupSecret;
  now?: () => Date;
  /** IAM: the signer's role must be allowed s3:PutObject on the key, at the moment the form is posted. */
  access?: S3Access;
}

/** S3 refuses forms whose fields before the file exceed 20 KB. */
const MAX_PRE_FILE_BYTES = 20 * 1024;

interface S3ObjectModel {
  size: number;
}
interface StoredObject {
  md5: string;
  size: number;
}
interface ObjectStore {
  putObject(object: S3ObjectModel): Promise<StoredObject>;
}
type S3ObjectConstructor = new (bucket: string, key: string, content: Readable | Buffer | null, metadata: Record<string, unknown>) => S3ObjectModel;
type S3EventConstructor = new (
  event: { bucket: string; eventType: 'Post'; S3Item: S3ObjectModel },
  request: { reqHeaders: unknown; sourceIp: string },
) => object;

const requireFromS3rver = createRequire(import.meta.url);
const S3Object = requireFromS3rver('s3rver/lib/models/object.js') as S3ObjectConstructor;
const S3Event = requireFromS3rver('s3rver/lib/models/event.js') as S3EventConstructor;

/** A POST to a bucket itself, without a sub-resource (not DeleteObjects): S3's POST Object. */
export function isPostObjectRequest(context: Pick<S3rverContext, 'method' | 'path' | 'querystring'>): boolean {
  return context.method === 'POST' && /^\/[^/]+\/?$/.test(context.path) && context.querystring === '';
}

export function postObject(options: PostObjectOptions): S3rverMiddleware {
  const now = options.now ?? (() => new Date());
  return async (context, next) => {
    if (!isPostObjectRequest(context)) {
      await next();
      return;
    }
    if (!context.is('multipart/form-data')) {
      throw new S3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', {
        Condition: 'Bucket POST must be of the enclosure-type multipart/form-data',
      });
    }
    const bucket = decodeURIComponent(context.path.split('/')[1] ?? '');
    const form = await readFormUntilFile(context);
    try {
      const stored = await storeUpload(context, bucket, form, options, now());
      respond(context, bucket, stored, form.fields);
      await addCorsHeaders(context);
    } catch (error) {
      form.file?.stream.resume();
      await form.finished;
      if (error instanceof S3Error && error.code === 'EntityTooLarge') {
        throw contentLengthViolation({ min: 0, max: Number(error.details.MaxSizeAllowed) }, form.file?.bytesRead() ?? 0) ?? error;
      }
      throw error;
    }
  };
}

interface ParsedForm {
  /** The fields before the file, names in lower case (the first of a repeated name). */
  fields: Map<string, string>;
  file?: { stream: Readable; filename: string; bytesRead: () => number };
  /** Settles once the whole request has been read. */
  finished: Promise<unknown>;
}

/** Reads the form up to the start of the file (S3 ignores what follows it). */
async function readFormUntilFile(context: S3rverContext): Promise<ParsedForm> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: context.req.headers });
  } catch {
    throw malformedPost();
  }
  const fields = new Map<string, string>();
  let preFileBytes = 0;
  let tooLarge = false;
  const finished = once(parser, 'close').catch(() => undefined);

  const file = await new Promise<ParsedForm['file']>((resolve, reject) => {
    parser.on('field', (name, value) => {
      const field = name.toLowerCase();
      if (field === 'file') {
        resolve(fileOf(streamOfText(value), ''));
        return;
      }
      preFileBytes += name.length + value.length;
      if (preFileBytes > MAX_PRE_FILE_BYTES) tooLarge = true;
      if (!fields.has(field)) fields.set(field, value);
    });
    parser.on('file', (name, stream, info) => {
      if (name.toLowerCase() === 'file') resolve(fileOf(stream, info.filename ?? ''));
      else stream.resume();
    });
    parser.on('error', () => reject(malformedPost()));
    parser.on('close', () => resolve(undefined));
    context.req.pipe(parser);
  });
  // Whatever follows the file (more fields, more files) is read and dropped.
  parser.removeAllListeners('field').removeAllListeners('file');
  parser.on('file', (_name, stream) => stream.resume());
  parser.on('error', () => undefined);
  if (tooLarge) {
    file?.stream.resume();
    await finished;
    throw new S3Error('MaxPostPreDataLengthExceededError', 400, 'Your POST request fields preceding the upload file were too large.');
  }
  return { fields, finished, ...(file === undefined ? {} : { file }) };
}

function fileOf(stream: Readable, filename: string): NonNullable<ParsedForm['file']> {
  let bytes = 0;
  stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
  stream.pause();
  return { stream, filename, bytesRead: () => bytes };
}

async function storeUpload(context: S3rverContext, bucket: string, form: ParsedForm, options: PostObjectOptions, now: Date) {
  const { fields } = form;
  const rawKey = fields.get('key');
  if (rawKey === undefined) {
    throw new S3Error('InvalidArgument', 400, "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.", {
      ArgumentName: 'key',
      ArgumentValue: '',
    });
  }
  if (fields.get('policy') === undefined) throw accessDenied();
  const caller = await verifyPostPolicySignature(fields, options.lookupSecret, options);
  if (form.file === undefined) {
    throw new S3Error('IncorrectNumberOfFilesInPostRequest', 400, 'POST requires exactly one file upload per request.');
  }
  const key = rawKey.replace(/\$\{filename\}/g, form.file.filename);
  if (key === '') {
    throw new S3Error('InvalidArgument', 400, 'User key must have a length greater than 0.', { ArgumentName: 'key', ArgumentValue: '' });
  }
  const checkedFields = new Map(fields).set('key', key);
  const range = checkPostPolicy(decodePostPolicy(fields.get('policy') ?? ''), { bucket, fields: checkedFields }, now);
  context.state.s3Caller = caller;
  if (options.access !== undefined) {
    await authorizeS3Call(options.access, s3PrincipalOf(options.access, caller), 'PutObject', { Bucket: bucket, Key: key });
  }

  const guard = new ContentLengthGuard(range);
  const object = new S3Object(bucket, key, guard, Object.fromEntries(checkedFields));
  const written = (context.store as ObjectStore).putObject(object);
  // However the write ends (done, too large, a disk error), the rest of the file is read, not left hanging.
  guard.on('close', () => form.file?.stream.unpipe(guard).resume());
  form.file.stream.pipe(guard);
  const stored = await written;
  await form.finished;
  return { key, ...stored };
}

function respond(context: S3rverContext, bucket: string, stored: StoredObject & { key: string }, fields: ReadonlyMap<string, string>): void {
  const etag = JSON.stringify(stored.md5);
  context.app.emit(
    'event',
    new S3Event(
      { bucket, eventType: 'Post', S3Item: new S3Object(bucket, stored.key, null, { 'content-length': stored.size, etag }) },
      { reqHeaders: context.headers, sourceIp: context.ip },
    ),
  );
  context.set('ETag', etag);
  const redirect = fields.get('success_action_redirect') ?? fields.get('redirect');
  if (redirect !== undefined && URL.canParse(redirect)) {
    const location = new URL(redirect);
    location.searchParams.append('bucket', bucket);
    location.searchParams.append('key', stored.key);
    location.searchParams.append('etag', etag);
    context.status = 303;
    context.set('Location', location.href);
    context.body = '';
    return;
  }
  const location = `http://${context.get('host')}/${encodeURIComponent(bucket)}/${stored.key.split('/').map(encodeURIComponent).join('/')}`;
  context.set('Location', location);
  const status = fields.get('success_action_status');
  if (status === '201') {
    context.status = 201;
    context.type = 'application/xml';
    context.body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>${escape(location)}</Location><Bucket>${escape(bucket)}</Bucket>` +
      `<Key>${escape(stored.key)}</Key><ETag>${escape(etag)}</ETag></PostResponse>`;
    return;
  }
  context.status = status === '200' ? 200 : 204;
  context.body = '';
}

function streamOfText(value: string): Readable {
  return Readable.from([Buffer.from(value)]);
}

function malformedPost(): S3Error {
  return new S3Error('MalformedPOSTRequest', 400, 'The body of your POST request is not well-formed multipart/form-data.');
}
