import { createHash } from 'node:crypto';
import {
  ALGORITHM_IDENTIFIER,
  MAX_CLOCK_SKEW_MS,
  expectedSignature,
  formatLongDate,
  parseAuthorizationHeader,
  parseCredential,
  parseLongDate,
  parseQuery,
  sameHex,
  single,
  type LookupSecret,
  type SignedRequest,
} from '../sigv4.ts';

/**
 * SigV4 as the AWS JSON-protocol services check it (DynamoDB, Step Functions, ECS): a signed Authorization
 * header over the whole body, scoped to the service and the region. The signature is recomputed with the
 * SDK's own signing code (../sigv4.ts, shared with the local S3); failures carry the error types these
 * services answer with, which the SDK turns into exceptions of the same names.
 */
export class AwsJsonError extends Error {
  constructor(
    /** The `__type` on the wire, e.g. `UnrecognizedClientException`. */
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export interface VerifiedJsonCaller {
  accessKeyId: string;
  sessionToken?: string;
}

export interface JsonSignatureOptions {
  /** The signing name of the service: `dynamodb`, `states`, `ecs`. */
  service: string;
  region: string;
  lookupSecret: LookupSecret;
  now?: Date;
}

export async function verifyJsonRequestSignature(request: SignedRequest, body: Buffer, options: JsonSignatureOptions): Promise<VerifiedJsonCaller> {
  const now = options.now ?? new Date();
  const authorization = single(request.headers.authorization);
  if (authorization === undefined) throw new AwsJsonError('MissingAuthenticationTokenException', 'Request is missing Authentication Token');
  const incomplete = (message: string) => new AwsJsonError('IncompleteSignatureException', message);
  const invalid = (message: string) => new AwsJsonError('InvalidSignatureException', message);

  const { algorithm, credential, signedHeaders, signature } = parseAuthorizationHeader(authorization);
  if (algorithm !== ALGORITHM_IDENTIFIER) throw incomplete(`Unsupported AWS 'algorithm': '${algorithm}'`);
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw incomplete(
      `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=${authorization}`,
    );
  }
  const scope = parseCredential(credential);
  if (scope === undefined) throw incomplete(`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`);
  const amzDate = single(request.headers['x-amz-date']);
  const requestTime = amzDate === undefined ? undefined : parseLongDate(amzDate);
  if (amzDate === undefined || requestTime === undefined) {
    throw incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  if (scope.service !== options.service) throw invalid(`Credential should be scoped to correct service: '${options.service}'.`);
  if (scope.region !== options.region) throw invalid(`Credential should be scoped to a valid region.`);
  if (scope.date !== amzDate.slice(0, 8)) throw invalid(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${amzDate.slice(0, 8)}'`);

  const secret = await options.lookupSecret(scope.accessKeyId);
  if (secret === undefined) throw unrecognizedClient();
  if (Math.abs(now.getTime() - requestTime.getTime()) > MAX_CLOCK_SKEW_MS) {
    const earliest = formatLongDate(new Date(now.getTime() - MAX_CLOCK_SKEW_MS));
    throw invalid(`Signature expired: ${amzDate} is now earlier than ${earliest} (${formatLongDate(now)} - 15 min.)`);
  }
  const payloadHash = createHash('sha256').update(body).digest('hex');
  const expected = await expectedSignature(request, parseQuery(request.rawQuery), {
    scope,
    secret,
    longDate: amzDate,
    signedHeaders: signedHeaders.split(';'),
    payloadHash,
  });
  if (!sameHex(expected.signature, signature)) {
    throw invalid(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. ' +
        'Consult the service documentation for details.',
    );
  }
  const sessionToken = single(request.headers['x-amz-security-token']);
  return { accessKeyId: scope.accessKeyId, ...(sessionToken === undefined ? {} : { sessionToken }) };
}

/** A key id nobody issued, or a session token that does not belong to the key. */
export function unrecognizedClient(): AwsJsonError {
  return new AwsJsonError('UnrecognizedClientException', 'The security token included in the request is invalid.');
}
