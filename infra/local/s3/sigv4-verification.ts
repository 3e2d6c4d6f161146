import { UNSIGNED_PAYLOAD } from '@smithy/signature-v4';
import {
  ALGORITHM_IDENTIFIER,
  MAX_CLOCK_SKEW_MS,
  decodeComponent,
  expectedSignature,
  formatLongDate,
  parseAuthorizationHeader,
  parseCredential,
  parseLongDate,
  parseQuery,
  sameHex,
  signWithScope,
  single,
  splitOnce,
  type CredentialScope,
  type LookupSecret,
  type Query,
  type SignatureInput as GenericSignatureInput,
  type SignedRequest,
} from '../sigv4.ts';
import { S3Error, accessDenied } from './s3-error.ts';
import type { S3rverMiddleware } from './s3rver-context.ts';

/**
 * AWS Signature Version 4 as S3 checks it, for the local S3: every request carries a valid signature in its
 * Authorization header or its query (a presigned URL), or it is refused. The signature is recomputed with the
 * SDK's own signing code (../sigv4.ts), from the request exactly as it reached the server — raw path and
 * query, the headers the client listed in SignedHeaders — with the secret that `lookupSecret` gives for the
 * access key id; S3's own rules (every x-amz-* header signed, x-amz-content-sha256, presigned URL lifetimes)
 * and S3's errors are this file's.
 */

export { MAX_CLOCK_SKEW_MS, type LookupSecret, type SignedRequest };

/** Who signed a request, and how. */
export interface VerifiedCaller {
  accessKeyId: string;
  mechanism: 'header' | 'presigned' | 'post-policy';
  /** x-amz-content-sha256 as signed: a hex SHA-256 of the body, UNSIGNED-PAYLOAD or a STREAMING-* value. */
  payloadHash: string;
  sessionToken?: string;
}

export interface VerificationOptions {
  /** When set, a credential scope for another region is refused, as S3 refuses it. */
  region?: string;
}

/** A presigned URL lives at most a week. */
const MAX_PRESIGNED_SECONDS = 604_800;
const SERVICE = 's3';
const QUERY_AUTH_PARAMETERS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires'];
/** The payload hashes S3 accepts besides a hex SHA-256 (the STREAMING-* ones frame the body in aws-chunked). */
const PAYLOAD_HASH = /^(?:[0-9a-f]{64}|UNSIGNED-PAYLOAD|STREAMING-UNSIGNED-PAYLOAD-TRAILER|STREAMING-AWS4-HMAC-SHA256-PAYLOAD(?:-TRAILER)?|STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD(?:-TRAILER)?)$/;

/**
 * Verifies the SigV4 signature of a request at `now`. Returns the caller, undefined for a request that carries
 * no signature at all (anonymous), and throws the S3Error S3 answers with for everything else.
 */
export async function verifySignature(
  request: SignedRequest,
  lookupSecret: LookupSecret,
  now: Date,
  options: VerificationOptions = {},
): Promise<VerifiedCaller | undefined> {
  const query = parseQuery(request.rawQuery);
  const authorization = single(request.headers.authorization);
  const presigned = 'X-Amz-Algorithm' in query;
  if (authorization !== undefined && presigned) {
    throw new S3Error(
      'InvalidArgument',
      400,
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the ' +
        'Authorization header should be specified',
      { ArgumentName: 'Authorization', ArgumentValue: authorization },
    );
  }
  if (authorization !== undefined) return verifyHeaderSignature(request, query, authorization, lookupSecret, now, options);
  if (presigned) return verifyPresignedUrl(request, query, lookupSecret, now, options);
  if ('Signature' in query || 'AWSAccessKeyId' in query) throw signatureVersion2NotSupported();
  return undefined;
}

async function verifyHeaderSignature(
  request: SignedRequest,
  query: Query,
  authorization: string,
  lookupSecret: LookupSecret,
  now: Date,
  options: VerificationOptions,
): Promise<VerifiedCaller> {
  const malformed = (reason: string, details: Record<string, string> = {}) =>
    new S3Error('AuthorizationHeaderMalformed', 400, `The authorization header is malformed; ${reason}`, details);
  const { algorithm, credential, signedHeaders: signedHeaderList, signature } = parseAuthorizationHeader(authorization);
  if (algorithm === 'AWS') throw signatureVersion2NotSupported();
  if (algorithm !== ALGORITHM_IDENTIFIER) {
    throw new S3Error('InvalidArgument', 400, 'Unsupported Authorization Type', { ArgumentName: 'Authorization', ArgumentValue: authorization });
  }
  if (credential === undefined || signedHeaderList === undefined || signature === undefined) {
    throw malformed('the authorization header requires three components: Credential, SignedHeaders, and Signature.');
  }

  const scope = parseCredential(credential);
  if (scope === undefined) throw malformed('the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  const amzDate = single(request.headers['x-amz-date']);
  const date = amzDate ?? single(request.headers.date);
  const requestTime = amzDate === undefined ? (date === undefined ? undefined : new Date(date)) : parseLongDate(amzDate);
  if (requestTime === undefined || Number.isNaN(requestTime.getTime())) {
    throw accessDenied('AWS authentication requires a valid Date or x-amz-date header');
  }
  const longDate = amzDate ?? formatLongDate(requestTime);
  if (scope.date !== longDate.slice(0, 8)) throw malformed('Invalid credential date. Date is not the same as X-Amz-Date.');
  if (scope.service !== SERVICE) throw malformed(`incorrect service "${scope.service}". This endpoint belongs to "${SERVICE}".`);
  if (options.region !== undefined && scope.region !== options.region) {
    throw malformed(`the region '${scope.region}' is wrong; expecting '${options.region}'`, { Region: options.region });
  }

  const secret = await secretOf(scope.accessKeyId, lookupSecret);
  if (Math.abs(now.getTime() - requestTime.getTime()) > MAX_CLOCK_SKEW_MS) {
    throw new S3Error('RequestTimeTooSkewed', 403, 'The difference between the request time and the current time is too large.', {
      RequestTime: date ?? '',
      ServerTime: isoSeconds(now),
      MaxAllowedSkewMilliseconds: MAX_CLOCK_SKEW_MS,
    });
  }

  const payloadHash = single(request.headers['x-amz-content-sha256']);
  if (payloadHash === undefined) throw new S3Error('InvalidRequest', 400, 'Missing required header for this request: x-amz-content-sha256');
  if (!PAYLOAD_HASH.test(payloadHash)) {
    throw new S3Error(
      'InvalidArgument',
      400,
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.',
      { ArgumentName: 'x-amz-content-sha256', ArgumentValue: payloadHash },
    );
  }

  const signedHeaders = signedHeaderList.split(';');
  refuseUnsignedHeaders(request.headers, signedHeaders, []);
  await compareSignatures(request, query, { scope, secret, longDate, signedHeaders, payloadHash, signature });
  return { accessKeyId: scope.accessKeyId, mechanism: 'header', payloadHash, ...sessionTokenOf(single(request.headers['x-amz-security-token'])) };
}

async function verifyPresignedUrl(
  request: SignedRequest,
  query: Query,
  lookupSecret: LookupSecret,
  now: Date,
  options: VerificationOptions,
): Promise<VerifiedCaller> {
  const parameterError = (message: string) => new S3Error('AuthorizationQueryParametersError', 400, message);
  const { algorithm, credential, signature, longDate, signedHeaderList, expires } = queryAuthParameters(query, parameterError);
  if (algorithm !== ALGORITHM_IDENTIFIER) throw parameterError('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const scope = parseCredential(credential);
  if (scope === undefined) {
    throw parameterError(
      'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
    );
  }
  const requestTime = parseLongDate(longDate);
  if (requestTime === undefined) throw parameterError('X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  if (!/^-?\d+$/.test(expires)) throw parameterError('X-Amz-Expires should be a number');
  const lifetimeSeconds = Number(expires);
  if (lifetimeSeconds < 0) throw parameterError('X-Amz-Expires must be non-negative');
  if (lifetimeSeconds > MAX_PRESIGNED_SECONDS) {
    throw parameterError(
      'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds',
    );
  }
  if (scope.date !== longDate.slice(0, 8)) {
    throw parameterError(`Invalid credential date "${scope.date}". This date is not the same as X-Amz-Date: "${longDate.slice(0, 8)}".`);
  }
  if (scope.service !== SERVICE) {
    throw parameterError(`Error parsing the X-Amz-Credential parameter; incorrect service "${scope.service}". This endpoint belongs to "${SERVICE}".`);
  }
  if (options.region !== undefined && scope.region !== options.region) {
    throw parameterError(`Error parsing the X-Amz-Credential parameter; the region '${scope.region}' is wrong; expecting '${options.region}'`);
  }

  const secret = await secretOf(scope.accessKeyId, lookupSecret);
  const signedHeaders = signedHeaderList.split(';');
  // The SDK's presigner hoists x-amz-content-sha256 into the query; a client sending it as a header is ignored.
  refuseUnsignedHeaders(request.headers, signedHeaders, ['x-amz-content-sha256']);
  const payloadHash = single(query['X-Amz-Content-Sha256']) ?? UNSIGNED_PAYLOAD;
  await compareSignatures(request, query, { scope, secret, longDate, signedHeaders, payloadHash, signature });

  const expiresAt = new Date(requestTime.getTime() + lifetimeSeconds * 1000);
  const serverTime = isoSeconds(now);
  if (requestTime.getTime() - now.getTime() > MAX_CLOCK_SKEW_MS) {
    throw accessDenied('Request is not yet valid', {
      'X-Amz-Date': longDate,
      Expires: isoSeconds(expiresAt),
      ServerTime: serverTime,
    });
  }
  if (now.getTime() > expiresAt.getTime()) {
    throw accessDenied('Request has expired', {
      'X-Amz-Expires': expires,
      Expires: isoSeconds(expiresAt),
      ServerTime: serverTime,
    });
  }
  return { accessKeyId: scope.accessKeyId, mechanism: 'presigned', payloadHash, ...sessionTokenOf(single(query['X-Amz-Security-Token'])) };
}

/**
 * The signature of a browser POST form: an HMAC of the base64 policy with the signing key of the credential's
 * scope. `fields` are the form fields with lower-case names. Returns the caller; the policy's own conditions
 * are checked apart (post-policy.ts).
 */
export async function verifyPostPolicySignature(
  fields: ReadonlyMap<string, string>,
  lookupSecret: LookupSecret,
  options: VerificationOptions = {},
): Promise<VerifiedCaller> {
  const policy = fields.get('policy') ?? '';
  for (const name of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Signature']) {
    if (fields.get(name.toLowerCase()) === undefined) {
      throw new S3Error('InvalidArgument', 400, `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`, {
        ArgumentName: name,
        ArgumentValue: '',
      });
    }
  }
  const algorithm = fields.get('x-amz-algorithm') ?? '';
  if (algorithm !== ALGORITHM_IDENTIFIER) {
    throw new S3Error('InvalidArgument', 400, 'POST form x-amz-algorithm only supports "AWS4-HMAC-SHA256"', {
      ArgumentName: 'x-amz-algorithm',
      ArgumentValue: algorithm,
    });
  }
  const credential = fields.get('x-amz-credential') ?? '';
  const scope = parseCredential(credential);
  if (scope === undefined || scope.service !== SERVICE || (options.region !== undefined && scope.region !== options.region)) {
    throw new S3Error('InvalidArgument', 400, `Invalid credential in x-amz-credential: ${credential}`, {
      ArgumentName: 'x-amz-credential',
      ArgumentValue: credential,
    });
  }
  const secret = await secretOf(scope.accessKeyId, lookupSecret);
  const expected = await signWithScope(scope, secret, policy);
  const provided = fields.get('x-amz-signature') ?? '';
  if (!sameHex(expected, provided)) {
    throw signatureDoesNotMatch({ AWSAccessKeyId: scope.accessKeyId, StringToSign: policy, SignatureProvided: provided });
  }
  return { accessKeyId: scope.accessKeyId, mechanism: 'post-policy', payloadHash: UNSIGNED_PAYLOAD, ...sessionTokenOf(fields.get('x-amz-security-token')) };
}

export interface SignatureVerificationOptions extends VerificationOptions {
  lookupSecret: LookupSecret;
  now?: () => Date;
}

/**
 * Koa middleware for s3rver: refuses every request without a valid signature with S3's error, except CORS
 * preflights (S3 answers OPTIONS unsigned). Runs after the POST Object handler (post-object.ts), which
 * authenticates browser forms by their policy. A verified caller is left in `context.state.s3Caller` (for
 * IAM), and the credentials are then taken off the request: s3rver's own check knows only the key id S3RVER.
 */
export function signatureVerification(options: SignatureVerificationOptions): S3rverMiddleware {
  const now = options.now ?? (() => new Date());
  return async (context, next) => {
    if (context.method === 'OPTIONS') {
      await next();
      return;
    }
    const [path = '', rawQuery = ''] = splitOnce(context.req.url ?? context.path, '?');
    const caller = await verifySignature({ method: context.method, path, rawQuery, headers: context.req.headers }, options.lookupSecret, now(), options);
    if (caller === undefined) throw accessDenied();
    context.state.s3Caller = caller;
    // What s3rver's own authentication would have set: it allows response-* overrides to signed requests only.
    context.state.account = { accessKeyId: caller.accessKeyId };
    delete context.req.headers.authorization;
    context.querystring = rawQuery
      .split('&')
      .filter((parameter) => !isQueryAuthParameter(decodeComponent(splitOnce(parameter, '=')[0] ?? '')))
      .join('&');
    await next();
  };
}

interface SignatureInput extends GenericSignatureInput {
  /** The signature the client sent. */
  signature: string;
}

async function compareSignatures(request: SignedRequest, query: Query, input: SignatureInput): Promise<void> {
  const calculated = await expectedSignature(request, query, input);
  if (!sameHex(calculated.signature, input.signature)) {
    throw signatureDoesNotMatch({
      AWSAccessKeyId: input.scope.accessKeyId,
      StringToSign: calculated.stringToSign,
      SignatureProvided: input.signature,
      CanonicalRequest: calculated.canonicalRequest,
    });
  }
}

/** S3 wants every x-amz-* header signed (and the host). */
function refuseUnsignedHeaders(headers: SignedRequest['headers'], signedHeaders: readonly string[], ignored: readonly string[]): void {
  const signed = new Set(signedHeaders);
  const unsigned = [
    ...(signed.has('host') ? [] : ['host']),
    ...Object.keys(headers).filter((name) => name.startsWith('x-amz-') && !signed.has(name) && !ignored.includes(name)),
  ];
  if (unsigned.length > 0) {
    throw accessDenied('There were headers present in the request which were not signed', { HeadersNotSigned: unsigned.join(', ') });
  }
}

async function secretOf(accessKeyId: string, lookupSecret: LookupSecret): Promise<string> {
  const secret = await lookupSecret(accessKeyId);
  if (secret === undefined) {
    throw new S3Error('InvalidAccessKeyId', 403, 'The AWS Access Key Id you provided does not exist in our records.', {
      AWSAccessKeyId: accessKeyId,
    });
  }
  return secret;
}

function signatureDoesNotMatch(details: Record<string, string>): S3Error {
  return new S3Error(
    'SignatureDoesNotMatch',
    403,
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    details,
  );
}

function signatureVersion2NotSupported(): S3Error {
  return new S3Error('InvalidRequest', 400, 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');
}

/** ISO 8601 without milliseconds, as S3 writes times in its errors. */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function sessionTokenOf(token: string | undefined): { sessionToken?: string } {
  return token === undefined ? {} : { sessionToken: token };
}

function queryAuthParameters(query: Query, parameterError: (message: string) => S3Error) {
  const [algorithm, credential, signature, longDate, signedHeaderList, expires] = QUERY_AUTH_PARAMETERS.map((name) => single(query[name]));
  if (
    algorithm === undefined ||
    credential === undefined ||
    signature === undefined ||
    longDate === undefined ||
    signedHeaderList === undefined ||
    expires === undefined
  ) {
    throw parameterError(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, ' +
        'X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  return { algorithm, credential, signature, longDate, signedHeaderList, expires };
}

function isQueryAuthParameter(name: string): boolean {
  return QUERY_AUTH_PARAMETERS.includes(name) || name === 'X-Amz-Security-Token';
}
