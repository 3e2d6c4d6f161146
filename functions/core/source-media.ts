/**
 * The video files vidp accepts, by extension, and the media type each is sent as. Free of imports (no zod,
 * no node:) so the API, the CLI and the browser page's bundle share this one list.
 */
export const SOURCE_CONTENT_TYPES = {
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  mkv: 'video/x-matroska',
  avi: 'video/x-msvideo',
  webm: 'video/webm',
} as const;
export type SourceExtension = keyof typeof SOURCE_CONTENT_TYPES;

export const SOURCE_EXTENSIONS = Object.keys(SOURCE_CONTENT_TYPES) as SourceExtension[];

/** The accepted extension of `filename` (lower-cased), or undefined when vidp does not take such a file. */
export function sourceExtensionOf(filename: string): SourceExtension | undefined {
  const extension = /\.([A-Za-z0-9]+)$/.exec(filename)?.[1]?.toLowerCase();
  return extension !== undefined && Object.hasOwn(SOURCE_CONTENT_TYPES, extension) ? (extension as SourceExtension) : undefined;
}

/** The media type a file of this name is uploaded as (browsers leave File.type empty for .mkv, for one). */
export function sourceContentTypeOf(filename: string): string | undefined {
  const extension = sourceExtensionOf(filename);
  return extension === undefined ? undefined : SOURCE_CONTENT_TYPES[extension];
}
