import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { escapeXml, respondWithS3Error, S3Error } from './s3-error.ts';
import { bucketAndKey, type S3rverMiddleware } from './s3rver-context.ts';

const MAX_PARTS = 1000;

/**
 * ListParts and AbortMultipartUpload for s3rver, which implements multipart uploads but answers these two
 * with 405. Resumable uploads need both: a client resuming asks which parts S3 has, and a cancelled upload
 * must let go of its parts. They are served from s3rver's own files, so they see exactly what it stored:
 *   <directory>/<bucket>/._S3rver_uploads/<uploadId>/{key, metadata, <partNumber>, <partNumber>.md5}
 */
export function multipartListingMiddleware(directory: string): S3rverMiddleware {
  return async (context, next) => {
    const uploadId = single(context.query.uploadId);
    const { bucket, key } = bucketAndKey(context.path);
    const isObjectRequest = uploadId !== undefined && bucket !== '' && key !== '';
    if (!isObjectRequest || (context.method !== 'GET' && context.method !== 'DELETE')) {
      await next();
      return;
    }

    const uploadDir = join(directory, bucket, '._S3rver_uploads', uploadId.replace(/[^\w-]/g, ''));
    const storedKey = await readFile(join(uploadDir, 'key'), 'utf8').catch(() => undefined);
    if (storedKey !== key) {
      await respondWithS3Error(context, new S3Error('NoSuchUpload', 404, 'The specified upload does not exist.', { UploadId: uploadId }));
      return;
    }

    if (context.method === 'DELETE') {
      await rm(uploadDir, { recursive: true, force: true });
      context.status = 204;
      context.body = null;
      return;
    }

    const marker = Number(single(context.query['part-number-marker']) ?? 0);
    const maxParts = Math.min(Number(single(context.query['max-parts']) ?? MAX_PARTS), MAX_PARTS);
    const numbers = (await readdir(uploadDir))
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .filter((number) => number > marker)
      .sort((a, b) => a - b);
    const page = numbers.slice(0, maxParts);
    const parts = await Promise.all(
      page.map(async (number) => {
        const [info, md5] = await Promise.all([stat(join(uploadDir, String(number))), readFile(join(uploadDir, `${number}.md5`), 'utf8')]);
        return `<Part><PartNumber>${number}</PartNumber><LastModified>${info.mtime.toISOString()}</LastModified>` +
          `<ETag>&quot;${md5.trim()}&quot;</ETag><Size>${info.size}</Size></Part>`;
      }),
    );
    const truncated = numbers.length > page.length;
    context.status = 200;
    context.type = 'application/xml';
    context.body =
      `<?xml version="1.0" encoding="UTF-8"?><ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Bucket>${escapeXml(bucket)}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${escapeXml(uploadId)}</UploadId>` +
      `<PartNumberMarker>${marker}</PartNumberMarker><NextPartNumberMarker>${page.at(-1) ?? marker}</NextPartNumberMarker>` +
      `<MaxParts>${maxParts}</MaxParts><IsTruncated>${truncated}</IsTruncated>${parts.join('')}</ListPartsResult>`;
  };
}

function single(value: unknown): string | undefined {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}
