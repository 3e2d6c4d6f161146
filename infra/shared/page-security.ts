/*
 * How the browser page is served, as plain data both clouds use: CloudFront on AWS
 * (infra/aws/constructs/web-site.ts) and the local cloud, so a browser test meets what the deployed page meets.
 */

/** esbuild's entryNames `[name]-[hash]` (web/build.ts): the name changes with the content. */
export const CONTENT_HASHED_NAME = /-[A-Z0-9]{8}\.(js|css)$/;

/** Content-hashed files may be kept for a year; every other file (index.html, site-config.json, the icon) is revalidated on each load. */
export const PAGE_CACHE_CONTROL = { contentHashed: 'public, max-age=31536000, immutable', other: 'no-cache' } as const;

/**
 * The page's Content-Security-Policy. Everything from its own origin (the API included); the media bucket is
 * another origin, where the presigned URLs point: uploads (presigned POST, part PUTs: connect-src) and playback
 * (media-src). No plugins, no `<base>`, no form submissions (uploads are fetches), no framing.
 */
export function pageContentSecurityPolicy(mediaOrigin: string): string {
  return [
    "default-src 'self'",
    `connect-src 'self' ${mediaOrigin}`,
    `media-src 'self' ${mediaOrigin}`,
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
