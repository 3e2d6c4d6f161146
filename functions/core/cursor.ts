import { createHmac, timingSafeEqual } from 'node:crypto';
import { ValidationError } from './errors.ts';

/**
 * List cursors are opaque to clients but carry a DynamoDB key: signed with HMAC-SHA256, so a cursor that
 * was edited, forged, or issued for another query is refused instead of reading from an arbitrary key.
 */
export type CursorKey = Record<string, string>;

export function encodeCursor(key: CursorKey, query: string, secret: string): string {
  const body = Buffer.from(JSON.stringify({ k: key, q: query })).toString('base64url');
  return `${body}.${sign(body, secret)}`;
}

export function decodeCursor(cursor: string, query: string, secret: string): CursorKey {
  const [body = '', signature = ''] = cursor.split('.');
  const expected = Buffer.from(sign(body, secret));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  let payload: { k?: unknown; q?: unknown };
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { k?: unknown; q?: unknown };
  } catch {
    throw invalid();
  }
  if (payload.q !== query) {
    throw new ValidationError('This cursor belongs to another query: repeat the query it came from', {
      details: [{ field: 'query.cursor', message: 'issued for another query' }],
    });
  }
  const key = payload.k;
  if (typeof key !== 'object' || key === null || !Object.values(key).every((value) => typeof value === 'string')) {
    throw invalid();
  }
  return key as CursorKey;
}

function sign(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}

function invalid(): ValidationError {
  return new ValidationError('The cursor is not one this API issued (it may have been altered)', {
    details: [{ field: 'query.cursor', message: 'invalid cursor' }],
  });
}
