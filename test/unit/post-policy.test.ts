import '../support/handler-env.ts';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { s3 } from '../../functions/core/clients.ts';
import { presignUpload } from '../../functions/core/storage.ts';
import {
  ContentLengthGuard,
  checkPostPolicy,
  contentLengthViolation,
  decodePostPolicy,
  type PolicyCondition,
} from '../../infra/local/s3/post-policy.ts';
import { S3Error } from '../../infra/local/s3/s3-error.ts';

const NOW = new Date('2026-03-01T10:00:00.000Z');
const KEY = 'uploads/abc/source.mp4';

function policyOf(conditions: PolicyCondition[], expiration = '2026-03-01T10:15:00.000Z') {
  return decodePostPolicy(Buffer.from(JSON.stringify({ expiration, conditions })).toString('base64'));
}

function form(fields: Record<string, string>) {
  return { bucket: 'media', fields: new Map(Object.entries(fields).map(([name, value]) => [name.toLowerCase(), value])) };
}

function refusal(check: () => unknown): Pick<S3Error, 'code' | 'status' | 'message'> {
  try {
    check();
  } catch (error) {
    if (error instanceof S3Error) return { code: error.code, status: error.status, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('checkPostPolicy with the policy create-upload signs', () => {
  async function upload() {
    const presigned = await presignUpload(s3, { bucket: 'media', key: KEY, contentType: 'video/mp4', maxBytes: 1024, expiresInSeconds: 900, now: NOW });
    return { policy: decodePostPolicy(presigned.fields.Policy!), fields: presigned.fields };
  }
  const at = (expiresAt: string) => new Date(new Date(expiresAt).getTime() - 1000);

  it('accepts the form as handed out, and returns its size range', async () => {
    const { policy, fields } = await upload();
    expect(checkPostPolicy(policy, form(fields), at(policy.expiration.toISOString()))).toEqual({ min: 1, max: 1024 });
  });

  it('refuses another key, quoting the condition as S3 does', async () => {
    const { policy, fields } = await upload();
    expect(refusal(() => checkPostPolicy(policy, form({ ...fields, key: 'videos/other/video.mp4' }), at(policy.expiration.toISOString())))).toEqual({
      code: 'AccessDenied',
      status: 403,
      message: `Invalid according to Policy: Policy Condition failed: ["eq", "$key", "${KEY}"]`,
    });
  });

  it('refuses another Content-Type', async () => {
    const { policy, fields } = await upload();
    expect(refusal(() => checkPostPolicy(policy, form({ ...fields, 'Content-Type': 'text/html' }), at(policy.expiration.toISOString())))).toMatchObject({
      message: 'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "video/mp4"]',
    });
  });

  it('refuses the form once the policy has expired', async () => {
    const { policy, fields } = await upload();
    expect(refusal(() => checkPostPolicy(policy, form(fields), new Date(policy.expiration.getTime() + 1)))).toEqual({
      code: 'AccessDenied',
      status: 403,
      message: 'Invalid according to Policy: Policy expired.',
    });
  });

  it('refuses a field the policy does not name', async () => {
    const { policy, fields } = await upload();
    expect(refusal(() => checkPostPolicy(policy, form({ ...fields, 'x-amz-meta-owner': 'mallory' }), at(policy.expiration.toISOString())))).toEqual({
      code: 'AccessDenied',
      status: 403,
      message: 'Invalid according to Policy: Extra input fields: x-amz-meta-owner',
    });
  });

  it('lets x-ignore-* fields through unnamed, as S3 does', async () => {
    const { policy, fields } = await upload();
    expect(checkPostPolicy(policy, form({ ...fields, 'x-ignore-upload-id': '7' }), at(policy.expiration.toISOString()))).toBeDefined();
  });
});

describe('checkPostPolicy conditions', () => {
  it('matches starts-with on the key, and refuses a key outside the prefix', () => {
    const policy = policyOf([{ bucket: 'media' }, ['starts-with', '$key', 'uploads/abc/']]);
    expect(checkPostPolicy(policy, form({ key: 'uploads/abc/subtitles.srt' }), NOW)).toBeDefined();
    expect(refusal(() => checkPostPolicy(policy, form({ key: 'videos/abc/video.mp4' }), NOW))).toMatchObject({
      message: 'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/abc/"]',
    });
  });

  it('matches starts-with on Content-Type in every member of a comma-separated list', () => {
    const policy = policyOf([['starts-with', '$key', ''], ['starts-with', '$Content-Type', 'video/']]);
    expect(checkPostPolicy(policy, form({ key: 'k', 'Content-Type': 'video/mp4' }), NOW)).toBeDefined();
    expect(refusal(() => checkPostPolicy(policy, form({ key: 'k', 'Content-Type': 'video/mp4, text/html' }), NOW))).toMatchObject({ code: 'AccessDenied' });
  });

  it('compares field names without case and values exactly', () => {
    const policy = policyOf([{ KEY: 'k' }, ['eq', '$content-type', 'video/mp4']]);
    expect(checkPostPolicy(policy, form({ Key: 'k', 'CONTENT-TYPE': 'video/mp4' }), NOW)).toBeDefined();
    expect(refusal(() => checkPostPolicy(policy, form({ key: 'k', 'content-type': 'Video/MP4' }), NOW))).toMatchObject({ code: 'AccessDenied' });
  });

  it('refuses a form missing an x-amz-* field the policy pins', () => {
    const policy = policyOf([{ key: 'k' }, { 'x-amz-meta-video-id': 'abc' }]);
    expect(refusal(() => checkPostPolicy(policy, form({ key: 'k' }), NOW))).toEqual({
      code: 'AccessDenied',
      status: 403,
      message: 'Invalid according to Policy: Policy Condition failed: {"x-amz-meta-video-id": "abc"}',
    });
  });

  it('checks the bucket against the one posted to', () => {
    expect(refusal(() => checkPostPolicy(policyOf([{ bucket: 'other' }]), form({}), NOW))).toMatchObject({
      message: 'Invalid according to Policy: Policy Condition failed: {"bucket": "other"}',
    });
  });

  it('refuses starts-with on a field that only takes an exact match', () => {
    const policy = policyOf([['starts-with', '$bucket', 'me']]);
    expect(refusal(() => checkPostPolicy(policy, form({}), NOW))).toMatchObject({ code: 'AccessDenied' });
  });

  it('narrows the size range to every content-length-range it holds', () => {
    expect(checkPostPolicy(policyOf([['content-length-range', 1, 100], ['content-length-range', 10, 1000]]), form({}), NOW)).toEqual({ min: 10, max: 100 });
  });

  it('refuses a simple condition with two properties as an invalid policy', () => {
    expect(refusal(() => policyOf([{ key: 'k', bucket: 'media' }]))).toMatchObject({ code: 'InvalidPolicyDocument', status: 400 });
  });
});

describe('content-length-range', () => {
  it('is EntityTooLarge over the maximum and EntityTooSmall under the minimum, with the sizes', () => {
    expect(contentLengthViolation({ min: 1, max: 1024 }, 1025)).toMatchObject({
      code: 'EntityTooLarge',
      status: 400,
      message: 'Your proposed upload exceeds the maximum allowed size',
      details: { ProposedSize: 1025, MaxSizeAllowed: 1024 },
    });
    expect(contentLengthViolation({ min: 1, max: 1024 }, 0)).toMatchObject({
      code: 'EntityTooSmall',
      status: 400,
      message: 'Your proposed upload is smaller than the minimum allowed size',
      details: { ProposedSize: 0, MinSizeAllowed: 1 },
    });
    expect(contentLengthViolation({ min: 1, max: 1024 }, 1024)).toBeUndefined();
  });

  async function stream(chunks: Buffer[], range = { min: 1, max: 10 }) {
    const written: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk);
        callback();
      },
    });
    const outcome = await pipeline(Readable.from(chunks), new ContentLengthGuard(range), sink).then(
      () => 'stored',
      (error: S3Error) => error.code,
    );
    return { outcome, written: Buffer.concat(written).length };
  }

  it('passes a file within the range through whole', async () => {
    expect(await stream([Buffer.alloc(4), Buffer.alloc(6)])).toEqual({ outcome: 'stored', written: 10 });
  });

  it('fails a file as it grows past the maximum, before the chunk that crosses it is written', async () => {
    expect(await stream([Buffer.alloc(6), Buffer.alloc(6), Buffer.alloc(6)])).toEqual({ outcome: 'EntityTooLarge', written: 6 });
  });

  it('fails a file that ends under the minimum', async () => {
    expect(await stream([], { min: 1, max: 10 })).toEqual({ outcome: 'EntityTooSmall', written: 0 });
  });
});
