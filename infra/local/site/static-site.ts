import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname } from 'node:path';
import { CONTENT_HASHED_NAME, PAGE_CACHE_CONTROL } from '../../shared/page-security.ts';

/** The page's files, served from memory (a few tens of kB). */
export interface StaticSite {
  /** Answers GET and HEAD for the site's paths; false when the path is none of them (the caller answers 404). */
  serve(message: IncomingMessage, response: ServerResponse, pathname: string): boolean;
}

interface SiteFile {
  body: Buffer;
  contentType: string;
  cacheControl: string;
  etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/**
 * The page's files by name (site-config.json among them). index.html and site-config.json are revalidated on
 * every load (`no-cache` + ETag), so a new build is seen at once; the hashed bundle and stylesheet are immutable.
 */
export function createStaticSite(options: {
  files: ReadonlyMap<string, Buffer>;
  /** Content-Security-Policy of the HTML: the page talks to its own origin and to S3 only. */
  contentSecurityPolicy: string;
}): StaticSite {
  const files = new Map<string, SiteFile>();
  for (const [name, body] of options.files) {
    const contentType = CONTENT_TYPES[extname(name)] ?? 'application/octet-stream';
    const cacheControl = CONTENT_HASHED_NAME.test(name) ? PAGE_CACHE_CONTROL.contentHashed : PAGE_CACHE_CONTROL.other;
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    files.set(`/${name}`, { body, contentType, cacheControl, etag });
  }

  return {
    serve(message, response, pathname) {
      const file = files.get(pathname === '/' ? '/index.html' : pathname);
      if (file === undefined) return false;
      if (message.method !== 'GET' && message.method !== 'HEAD') {
        response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
        response.end('Method Not Allowed\n');
        return true;
      }
      const headers: Record<string, string> = {
        'Content-Type': file.contentType,
        'Cache-Control': file.cacheControl,
        ETag: file.etag,
        'X-Content-Type-Options': 'nosniff',
        ...(file.contentType.startsWith('text/html')
          ? { 'Content-Security-Policy': options.contentSecurityPolicy, 'Referrer-Policy': 'no-referrer' }
          : {}),
      };
      if (message.headers['if-none-match'] === file.etag) {
        response.writeHead(304, headers);
        response.end();
        return true;
      }
      response.writeHead(200, { ...headers, 'Content-Length': String(file.body.length) });
      response.end(message.method === 'HEAD' ? undefined : file.body);
      return true;
    },
  };
}
