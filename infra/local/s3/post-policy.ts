import { Transform, type TransformCallback } from 'node:stream';
import { S3Error, accessDenied } from './s3-error.ts';

/**
 * The policy of a browser POST upload, checked the way S3 checks it
 * (docs: "POST Policy", sigv4-HTTPPOSTConstructPolicy): it has not expired; every condition holds, in policy
 * order — exact match (`{"field": "value"}` or `["eq", "$field", "value"]`), `starts-with` (an empty prefix
 * allows anything; a Content-Type holding a comma-separated list must match in every member) and
 * `content-length-range`; and every form field is named by some condition, except x-amz-signature, file,
 * policy and x-ignore-* fields. Field names are compared without case, values exactly.
 *
 * The file's size is only known once it has streamed: `checkPostPolicy` returns the size range the policy
 * allows, and `contentLengthGuard` enforces it on the file stream, failing it as soon as it grows past the
 * maximum (and at its end when it stayed under the minimum) so that nothing is stored.
 */

export type PolicyCondition = Record<string, unknown> | unknown[];

export interface PostPolicy {
  expiration: Date;
  conditions: PolicyCondition[];
}

/** Inclusive bounds of the file's size in bytes. */
export interface ContentLengthRange {
  min: number;
  max: number;
}

export interface PostForm {
  /** The bucket the form was posted to (it is in the URL, not in the form). */
  bucket: string;
  /** The form fields before the file, names in lower case; `key` with `${filename}` already replaced. */
  fields: ReadonlyMap<string, string>;
}

/** Fields the policy never has to name. */
const UNCHECKED_FIELDS = new Set(['x-amz-signature', 'file', 'policy']);
/** Fields whose condition may only be an exact match (the docs' "Conditions" table). */
const EXACT_ONLY = new Set(['bucket', 'success_action_status', 'x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-security-token']);

export function decodePostPolicy(base64: string): PostPolicy {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
  } catch {
    throw invalidPolicy('Invalid Policy: Invalid JSON.');
  }
  if (typeof document !== 'object' || document === null) throw invalidPolicy('Invalid Policy: Invalid JSON.');
  const { expiration, conditions } = document as { expiration?: unknown; conditions?: unknown };
  const expiresAt = typeof expiration === 'string' ? new Date(expiration) : undefined;
  if (expiresAt === undefined || Number.isNaN(expiresAt.getTime())) {
    throw invalidPolicy(`Invalid Policy: Invalid 'expiration' value: '${String(expiration)}'`);
  }
  if (!Array.isArray(conditions) || !conditions.every((condition) => typeof condition === 'object' && condition !== null)) {
    throw invalidPolicy("Invalid Policy: Invalid 'conditions' value: must be a List.");
  }
  for (const condition of conditions as PolicyCondition[]) {
    if (!Array.isArray(condition) && Object.keys(condition).length !== 1) {
      throw invalidPolicy('Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.');
    }
  }
  return { expiration: expiresAt, conditions: conditions as PolicyCondition[] };
}

/**
 * Checks everything but the file's size; throws S3's AccessDenied for a violation. Returns the size range
 * the policy allows (unbounded when it names none).
 */
export function checkPostPolicy(policy: PostPolicy, form: PostForm, now: Date): ContentLengthRange {
  if (now.getTime() > policy.expiration.getTime()) throw accessDenied('Invalid according to Policy: Policy expired.');
  const valueOf = (field: string) => (field === 'bucket' ? form.bucket : form.fields.get(field));
  const covered = new Set<string>();
  const range: ContentLengthRange = { min: 0, max: Number.POSITIVE_INFINITY };

  for (const condition of policy.conditions) {
    const failed = () => accessDenied(`Invalid according to Policy: Policy Condition failed: ${describeCondition(condition)}`);
    if (!Array.isArray(condition)) {
      const [[name, expected]] = Object.entries(condition) as [[string, unknown]];
      const field = name.toLowerCase();
      covered.add(field);
      if (valueOf(field) !== expected) throw failed();
      continue;
    }
    const [operator, subject, operand] = condition as [unknown, unknown, unknown];
    if (condition.length !== 3) throw failed();
    if (typeof operator === 'string' && operator.toLowerCase() === 'content-length-range') {
      if (!Number.isSafeInteger(subject) || !Number.isSafeInteger(operand)) throw failed();
      range.min = Math.max(range.min, subject as number);
      range.max = Math.min(range.max, operand as number);
      continue;
    }
    if (typeof subject !== 'string' || !subject.startsWith('$') || typeof operand !== 'string') throw failed();
    const field = subject.slice(1).toLowerCase();
    covered.add(field);
    const value = valueOf(field);
    switch (typeof operator === 'string' ? operator.toLowerCase() : operator) {
      case 'eq':
        if (value !== operand) throw failed();
        break;
      case 'starts-with':
        if (EXACT_ONLY.has(field) || (field.startsWith('x-amz-') && !field.startsWith('x-amz-meta-'))) throw failed();
        if (operand !== '' && !startsWith(field, value, operand)) throw failed();
        break;
      default:
        throw failed();
    }
  }

  const extra = [...form.fields.keys()].filter((field) => !UNCHECKED_FIELDS.has(field) && !field.startsWith('x-ignore-') && !covered.has(field));
  if (extra.length > 0) throw accessDenied(`Invalid according to Policy: Extra input fields: ${extra.join(', ')}`);
  return range;
}

/** S3's answer to a file outside the policy's content-length-range; undefined when it is inside. */
export function contentLengthViolation(range: ContentLengthRange, size: number): S3Error | undefined {
  if (size > range.max) {
    return new S3Error('EntityTooLarge', 400, 'Your proposed upload exceeds the maximum allowed size', {
      ProposedSize: size,
      MaxSizeAllowed: range.max,
    });
  }
  if (size < range.min) {
    return new S3Error('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed size', {
      ProposedSize: size,
      MinSizeAllowed: range.min,
    });
  }
  return undefined;
}

/**
 * Passes the file through while it stays within `range`; fails with EntityTooLarge on the chunk that takes it
 * past the maximum, before that chunk is written, and with EntityTooSmall at the end when it is too short.
 * `bytes` counts what came in, so the caller can report the full size once it has drained the rest.
 */
export class ContentLengthGuard extends Transform {
  bytes = 0;

  constructor(private readonly range: ContentLengthRange) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    callback(this.bytes > this.range.max ? contentLengthViolation(this.range, this.bytes) : null, this.bytes > this.range.max ? undefined : chunk);
  }

  override _flush(callback: TransformCallback): void {
    callback(contentLengthViolation(this.range, this.bytes) ?? null);
  }
}

function startsWith(field: string, value: string | undefined, prefix: string): boolean {
  if (value === undefined) return false;
  if (field !== 'content-type' || !value.includes(',')) return value.startsWith(prefix);
  return value.split(',').every((member) => member.trim().startsWith(prefix));
}

/** The condition as S3 quotes it in its message, e.g. `["eq", "$key", "videos/a.mp4"]`. */
function describeCondition(condition: PolicyCondition): string {
  if (Array.isArray(condition)) return `[${condition.map((item) => JSON.stringify(item)).join(', ')}]`;
  return `{${Object.entries(condition).map(([name, value]) => `${JSON.stringify(name)}: ${JSON.stringify(value)}`).join(', ')}}`;
}

function invalidPolicy(message: string): S3Error {
  return new S3Error('InvalidPolicyDocument', 400, message);
}
