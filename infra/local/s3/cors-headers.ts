import { bucketAndKey, type S3rverContext } from './s3rver-context.ts';

interface CorsRule {
  hasWildcardOrigin: boolean;
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

interface CorsConfiguration {
  matchRule(origin: string, method: string): CorsRule | undefined;
}

interface SubresourceStore {
  getSubresource(bucket: string, key: undefined, type: 'cors'): Promise<CorsConfiguration | null>;
}

/**
 * The CORS headers of the bucket's matching rule, on an answer the strict middlewares give themselves (an
 * error, a POST upload): s3rver adds them only in its router, and without them a browser sees a CORS failure
 * instead of S3's answer. The same headers as s3rver's router sets on its own answers.
 */
export async function addCorsHeaders(context: S3rverContext): Promise<void> {
  const origin = context.get('origin');
  const { bucket } = bucketAndKey(context.path);
  if (origin === '' || bucket === '') return;
  const configuration = await (context.store as SubresourceStore).getSubresource(bucket, undefined, 'cors').catch(() => null);
  const rule = configuration?.matchRule(origin, context.method);
  if (rule === undefined) return;
  context.set('Access-Control-Allow-Origin', rule.hasWildcardOrigin ? '*' : origin);
  if (rule.exposeHeaders.length > 0) context.set('Access-Control-Expose-Headers', rule.exposeHeaders.join(', '));
  if (rule.maxAgeSeconds !== undefined) context.set('Access-Control-Max-Age', String(rule.maxAgeSeconds));
  context.set('Access-Control-Allow-Credentials', 'true');
  context.set('Vary', 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method');
}
