import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Sha256 } from '@smithy/core/checksum';
import { ALGORITHM_IDENTIFIER, SignatureV4, createScope, getCanonicalHeaders } from '@smithy/signature-v4';

/**
 * AWS Signature Version 4, recomputed on the receiving side with the SDK's own signing code
 * (@smithy/signature-v4: canonical query and headers, string to sign, signing key), from the request exactly
 * as it reached the server. What every local stand-in that checks signatures shares: the local S3
 * (s3/sigv4-verification.ts, with S3's rules and errors) and the JSON-protocol endpoints (DynamoDB, Step
 * Functions, ECS: iam/json-request-signature.ts). Each decides what a failure is called.
 */

export { ALGORITHM_IDENTIFIER };

/** The secret access key of an access key id; undefined for a key the local cloud never issued. */
export type LookupSecret = (accessKeyId: string) => string | undefined | Promise<string | undefined>;

/** An HTTP request as it reached the server. */
export interface SignedRequest {
  method: string;
  /** The path exactly as sent, still percent-encoded, without the query. */
  path: string;
  /** The query string exactly as sent, without the `?`. */
  rawQuery: string;
  /** Header names in lower case, as node's IncomingMessage gives them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** A node request as a SignedRequest: its path and query exactly as sent. */
export function signedRequestOf(request: IncomingMessage): SignedRequest {
  const [path = '/', rawQuery = ''] = splitOnce(request.url ?? '/', '?');
  return { method: request.method ?? 'GET', path, rawQuery, headers: request.headers };
}

export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

export type Query = Record<string, string | string[]>;

/** Services refuse header-signed requests dated more than 15 minutes away from their clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const LONG_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`, split into its parts (any may be missing). */
export function parseAuthorizationHeader(authorization: string): {
  algorithm: string;
  credential?: string;
  signedHeaders?: string;
  signature?: string;
} {
  const [algorithm = '', ...rest] = authorization.split(' ');
  const components = new Map(
    rest
      .join('')
      .split(',')
      .map((component) => {
        const [name = '', ...value] = component.trim().split('=');
        return [name, value.join('=')] as const;
      }),
  );
  return {
    algorithm,
    ...optional('credential', components.get('Credential')),
    ...optional('signedHeaders', components.get('SignedHeaders')),
    ...optional('signature', components.get('Signature')),
  };
}

export interface SignatureInput {
  scope: CredentialScope;
  secret: string;
  longDate: string;
  signedHeaders: readonly string[];
  /** Hex SHA-256 of the body, or what the client declared in its stead (S3's UNSIGNED-PAYLOAD…). */
  payloadHash: string;
}

/** The signature the client should have sent, with what it was computed from (S3 echoes both in its error). */
export async function expectedSignature(
  request: SignedRequest,
  query: Query,
  input: SignatureInput,
): Promise<{ signature: string; stringToSign: string; canonicalRequest: string }> {
  const headers: Record<string, string> = {};
  for (const name of input.signedHeaders) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const signable: SignableRequest = { method: request.method, protocol: 'http:', hostname: '', path: request.path, query, headers };
  return signerFor(input.scope, input.secret).calculate(signable, input.payloadHash, input.longDate, input.scope);
}

/** SignatureV4 with its canonical request and string to sign reachable: what the SDK signed is what is checked. */
class RequestSignatureCalculator extends SignatureV4 {
  async calculate(request: SignableRequest, payloadHash: string, longDate: string, scope: CredentialScope) {
    const signable = new Set(Object.keys(request.headers));
    const canonicalRequest = this.createCanonicalRequest(request, getCanonicalHeaders(request, undefined, signable), payloadHash);
    const stringToSign = await this.createStringToSign(
      longDate,
      createScope(scope.date, scope.region, scope.service),
      canonicalRequest,
      ALGORITHM_IDENTIFIER,
    );
    const signature = await this.sign(stringToSign, { signingDate: dateOfScope(scope.date), signingRegion: scope.region, signingService: scope.service });
    return { canonicalRequest, stringToSign, signature };
  }
}

type SignableRequest = Parameters<SignatureV4['presign']>[0];

/** The HMAC of `text` with the signing key of the scope (a POST policy's signature). */
export function signWithScope(scope: CredentialScope, secret: string, text: string): Promise<string> {
  return signerFor(scope, secret).sign(text, { signingDate: dateOfScope(scope.date), signingRegion: scope.region, signingService: scope.service });
}

function signerFor(scope: CredentialScope, secret: string): RequestSignatureCalculator {
  return new RequestSignatureCalculator({
    service: scope.service,
    region: scope.region,
    credentials: { accessKeyId: scope.accessKeyId, secretAccessKey: secret },
    sha256: Sha256,
    // S3 signs the path as sent; the other services' SDK clients send paths that need no escaping (`/`).
    uriEscapePath: false,
    applyChecksum: false,
  });
}

/** `<key id>/<yyyymmdd>/<region>/<service>/aws4_request`, or undefined if it is not that. */
export function parseCredential(credential: string): CredentialScope | undefined {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1] ?? '')) return undefined;
  const [accessKeyId = '', date = '', region = '', service = ''] = parts;
  return accessKeyId === '' || region === '' ? undefined : { accessKeyId, date, region, service };
}

/** `yyyyMMddTHHmmssZ` (x-amz-date), or undefined. */
export function parseLongDate(value: string): Date | undefined {
  const match = LONG_DATE.exec(value);
  if (match === null) return undefined;
  const [, year, month, day, hours, minutes, seconds] = match.map(Number) as number[];
  const date = new Date(Date.UTC(year!, month! - 1, day!, hours!, minutes!, seconds!));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function formatLongDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

function dateOfScope(yyyymmdd: string): Date {
  return new Date(`${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}T00:00:00Z`);
}

export function sameHex(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The query as the client sent it, decoded once; the signer encodes it again the canonical way. */
export function parseQuery(rawQuery: string): Query {
  const query: Query = Object.create(null) as Query;
  for (const parameter of rawQuery.split('&')) {
    if (parameter === '') continue;
    const [rawName = '', rawValue = ''] = splitOnce(parameter, '=');
    const name = decodeComponent(rawName);
    const value = decodeComponent(rawValue);
    const existing = query[name];
    query[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

export function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function splitOnce(value: string, separator: string): [string, string?] {
  const index = value.indexOf(separator);
  return index < 0 ? [value] : [value.slice(0, index), value.slice(index + 1)];
}

export function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
