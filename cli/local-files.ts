import { constants, openAsBlob } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { FilenameSchema } from '../functions/core/video.ts';
import { SOURCE_EXTENSIONS, sourceContentTypeOf } from '../functions/core/source-media.ts';
import { UsageError } from './errors.ts';

/** A file named on the command line, checked before anything is sent: a usage error (exit 2) if it cannot be read. */
export interface LocalFile {
  path: string;
  name: string;
  size: number;
  lastModified: number;
  /** Read part by part as the upload slices it: the file is never held in memory whole. */
  blob: Blob;
}

export async function openLocalFile(path: string, what: string, type?: string): Promise<LocalFile> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw new UsageError('file_not_found', `${what} not found: ${path}`);
  if (!info.isFile()) throw new UsageError('not_a_file', `${what} is not a file: ${path}`);
  try {
    await access(path, constants.R_OK);
  } catch {
    throw new UsageError('file_unreadable', `${what} is not readable: ${path}`);
  }
  if (info.size === 0) throw new UsageError('file_empty', `${what} is empty: ${path}`);
  return { path, name: basename(path), size: info.size, lastModified: info.mtimeMs, blob: await openAsBlob(path, type === undefined ? {} : { type }) };
}

/**
 * The video and the media type it is sent as, from its extension (the API's own list). A type vidp does not
 * take is a usage error, found before any request: the same answer whether or not the API can be reached.
 */
export async function openVideoFile(path: string): Promise<LocalFile & { contentType: string }> {
  const contentType = sourceContentTypeOf(path);
  const file = await openLocalFile(path, 'Video file', contentType);
  if (contentType === undefined) {
    throw new UsageError(
      'unsupported_type',
      `Unsupported video type: ${file.name} (vidp takes ${SOURCE_EXTENSIONS.map((extension) => `.${extension}`).join(' ')})`,
    );
  }
  const name = FilenameSchema.safeParse(file.name);
  if (!name.success) throw new UsageError('bad_filename', `The file name cannot be used: ${name.error.issues[0]?.message ?? 'invalid'}`);
  return { ...file, contentType };
}
