import '../support/handler-env.ts';
import { describe, expect, it } from 'vitest';
import { s3 } from '../../functions/core/clients.ts';
import { inlineDisposition, parseS3Uri, presignPlayback, presignUpload } from '../../functions/core/storage.ts';

function decodePolicy(fields: Record<string, string>) {
  return JSON.parse(Buffer.from(fields.Policy!, 'base64').toString('utf8')) as {
    expiration: string;
    conditions: unknown[];
  };
}

describe('presignUpload', () => {
  const now = new Date('2026-03-01T10:00:00.000Z');
  const request = {
    bucket: 'media',
    key: 'uploads/abc/source.mp4',
    contentType: 'video/mp4',
    maxBytes: 12_345,
    expiresInSeconds: 900,
    now,
  };

  it('pins the exact key, the content type and the size range in the signed policy', async () => {
    const upload = await presignUpload(s3, request);
    const policy = decodePolicy(upload.fields);
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['eq', '$key', 'uploads/abc/source.mp4'],
        ['eq', '$Content-Type', 'video/mp4'],
        ['content-length-range', 1, 12_345],
        { bucket: 'media' },
      ]),
    );
    expect(upload.fields).toMatchObject({ key: 'uploads/abc/source.mp4', 'Content-Type': 'video/mp4' });
    expect(upload.fields['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('expires when it says it does', async () => {
    const upload = await presignUpload(s3, request);
    expect(upload.method).toBe('POST');
    expect(upload.expires_at).toBe('2026-03-01T10:15:00.000Z');
    const expiresInPolicy = Date.parse(decodePolicy(upload.fields).expiration) - Date.now();
    expect(expiresInPolicy).toBeGreaterThan(890_000);
    expect(expiresInPolicy).toBeLessThanOrEqual(900_000);
  });
});

describe('presignPlayback', () => {
  it('signs a short-lived GET that serves the file as video/mp4', async () => {
    const url = new URL(
      await presignPlayback(s3, { bucket: 'media', key: 'videos/abc/video.mp4', expiresInSeconds: 600, filename: 'a"b.mp4' }),
    );
    expect(url.pathname).toContain('videos/abc/video.mp4');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
    expect(url.searchParams.get('response-content-type')).toBe('video/mp4');
    expect(url.searchParams.get('response-content-disposition')).toBe('inline; filename="a_b.mp4"; filename*=UTF-8\'\'a%22b.mp4');
    // No checksum parameter: real S3 would reject a GET signed with one for an empty body.
    expect([...url.searchParams.keys()].some((key) => key.toLowerCase().includes('checksum'))).toBe(false);
  });
});

describe('inlineDisposition', () => {
  it.each(['café.mp4', 'Präsentation 🎬.mp4', '\u200fמצגת.mp4', '講義 第1回.mp4', 'a"b%c.mp4'])(
    'names %s in an ASCII-only header whose filename* gives the name back exactly',
    (filename) => {
      const header = inlineDisposition(filename);
      expect(header).toMatch(/^[\x20-\x7e]+$/);
      expect(header).toMatch(/^inline; filename="[^"]*"; filename\*=UTF-8''/);
      expect(decodeURIComponent(/filename\*=UTF-8''(.+)$/.exec(header)![1]!)).toBe(filename);
    },
  );

  it('turns path separators into _ rather than losing what comes before them', () => {
    expect(inlineDisposition('week 1\\talk/final.mp4')).toBe('inline; filename="week 1_talk_final.mp4"');
  });

  it('keeps the letters of accented Latin names in the ASCII fallback', () => {
    expect(inlineDisposition('café crème.mp4')).toMatch(/^inline; filename="cafe creme.mp4";/);
  });
});

describe('parseS3Uri', () => {
  it('splits bucket and key', () => {
    expect(parseS3Uri('s3://media/videos/a/video.mp4')).toEqual({ bucket: 'media', key: 'videos/a/video.mp4' });
  });
  it('refuses anything else', () => {
    expect(() => parseS3Uri('https://media/videos')).toThrow(/Not an S3 URI/);
  });
});
