import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, type Stats } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type S3rver from 's3rver';
import { S3Error } from './s3-error.ts';

/** How much of an object a GET reads from disk at a time. */
const GET_READ_BYTES = 1024 * 1024;

/**
 * s3rver's FilesystemStore with S3's visibility: an object is seen whole or not at all, old or new, never a
 * half-written file. s3rver streams a PUT straight into `<key>._S3rver_object` (and its metadata into two more
 * files), so a reader racing a writer gets a truncated body, and an aborted upload stays behind as a
 * truncated object.
 *
 * Here every write goes to a temporary file beside its target (`….partial`, same directory, so the rename is
 * atomic and never crosses a file system) and is renamed into place only once complete: the content first,
 * then its metadata. The metadata names the inode of the content it describes, and a reader holds the content
 * open while it checks that: metadata of another generation (a writer between its two renames) is read again.
 * Aborted or refused uploads (a broken connection, a POST over its content-length-range) leave nothing.
 * The on-disk layout stays s3rver's, so the rest of infra/local (multipart listing, tests that backdate an
 * object's mtime) reads the same files.
 */

interface StoredObject {
  bucket: string;
  key: string;
  content: Readable | Buffer;
  metadata: Record<string, unknown>;
}

interface S3ObjectModel {
  size: number;
}

interface FilesystemStoreInstance {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  getObject(bucket: string, key: string, options?: { start?: number; end?: number }): Promise<S3ObjectModel | null>;
  getMetadata(bucket: string, key: string): Promise<Record<string, unknown>>;
  putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
  copyObject(srcBucket: string, srcKey: string, destBucket: string, destKey: string, replacementMetadata: Record<string, unknown> | null): Promise<Record<string, unknown>>;
  deleteObject(bucket: string, key: string): Promise<void>;
  putPart(bucket: string, uploadId: string, partNumber: number | string, content: Readable): Promise<{ size: number; md5: string }>;
}

type S3ObjectConstructor = (new (bucket: string, key: string, content: Readable | null, metadata: Record<string, unknown>) => S3ObjectModel & {
  range?: { start: number; end: number };
}) & { ALLOWED_METADATA: string[] };

const requireFromS3rver = createRequire(import.meta.url);
const FilesystemStore = requireFromS3rver('s3rver/lib/stores/filesystem.js') as new (rootDirectory: string) => FilesystemStoreInstance;
const S3Object = requireFromS3rver('s3rver/lib/models/object.js') as S3ObjectConstructor;

/** Where the metadata file records which content it belongs to (a name no HTTP header can have). */
const GENERATION = '(object)';
/** How long a reader waits, at most, for a writer to finish its two renames before taking what is there. */
const CONSISTENT_READ_ATTEMPTS = 200;

interface Generation {
  ino: number;
  md5: string;
}

interface Snapshot {
  handle: FileHandle;
  stats: Stats;
  metadata: Record<string, unknown>;
}

export class AtomicFilesystemStore extends FilesystemStore {
  override async putObject(object: StoredObject): Promise<{ size: number; md5: string }> {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    const written = await writeToTemporaryFile(objectPath, object.content);
    const temporaries = [written.path];
    try {
      const { ino } = await stat(written.path);
      const metadata = { ...storableMetadata(object.metadata), [GENERATION]: { ino, md5: written.md5 } satisfies Generation };
      const metadataPath = this.getResourcePath(object.bucket, object.key, 'metadata.json');
      const md5Path = this.getResourcePath(object.bucket, object.key, 'object.md5');
      const metadataTemporary = await writeTemporaryText(metadataPath, JSON.stringify(metadata, null, 2), temporaries);
      const md5Temporary = await writeTemporaryText(md5Path, written.md5, temporaries);
      await rename(written.path, objectPath);
      await rename(metadataTemporary, metadataPath);
      await rename(md5Temporary, md5Path);
    } catch (error) {
      await Promise.all(temporaries.map((path) => rm(path, { force: true })));
      throw error;
    }
    return { size: written.size, md5: written.md5 };
  }

  override async putPart(bucket: string, uploadId: string, partNumber: number | string, content: Readable): Promise<{ size: number; md5: string }> {
    const uploadDir = join(this.getResourcePath(bucket, undefined, 'uploads'), uploadId.replace(/[^\w-]/g, ''));
    // s3rver would create the upload's folder for any id; S3 knows only the uploads it started.
    if (!(await exists(join(uploadDir, 'key')))) {
      content.resume();
      throw new S3Error(
        'NoSuchUpload',
        404,
        'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
        { UploadId: uploadId },
      );
    }
    const partPath = join(uploadDir, String(partNumber));
    const written = await writeToTemporaryFile(partPath, content);
    const temporaries = [written.path];
    try {
      const md5Temporary = await writeTemporaryText(`${partPath}.md5`, written.md5, temporaries);
      await rename(written.path, partPath);
      await rename(md5Temporary, `${partPath}.md5`);
    } catch (error) {
      await Promise.all(temporaries.map((path) => rm(path, { force: true })));
      throw error;
    }
    return { size: written.size, md5: written.md5 };
  }

  override async getObject(bucket: string, key: string, options: { start?: number; end?: number } = {}) {
    const snapshot = await this.consistentSnapshot(bucket, key);
    if (snapshot === undefined) return null;
    const lastByte = Math.max(0, snapshot.stats.size - 1);
    const range = { start: options.start ?? 0, end: Math.min(options.end ?? Number.POSITIVE_INFINITY, lastByte) };
    const ranged = options.start !== undefined || options.end !== undefined;
    if (range.start < 0 || range.end < range.start) {
      await snapshot.handle.close();
      const object = new S3Object(bucket, key, null, snapshot.metadata);
      if (ranged) object.range = range;
      return object;
    }
    // 1 MiB reads: ffmpeg streams a whole source through one GET, and at fs streams' 64 KiB each chunk's
    // round through the event loop takes CPU from the encode on the same cores (on AWS, S3 is other machines).
    const content = snapshot.handle.createReadStream({ start: range.start, end: range.end, highWaterMark: GET_READ_BYTES });
    const object = new S3Object(bucket, key, content, snapshot.metadata);
    if (ranged) object.range = range;
    return object;
  }

  override async getMetadata(bucket: string, key: string): Promise<Record<string, unknown>> {
    const snapshot = await this.consistentSnapshot(bucket, key);
    if (snapshot === undefined) throw Object.assign(new Error(`No object ${bucket}/${key}`), { code: 'ENOENT' });
    await snapshot.handle.close();
    return snapshot.metadata;
  }

  override async copyObject(
    srcBucket: string,
    srcKey: string,
    destBucket: string,
    destKey: string,
    replacementMetadata: Record<string, unknown> | null,
  ): Promise<Record<string, unknown>> {
    const source = await this.consistentSnapshot(srcBucket, srcKey);
    if (source === undefined) throw Object.assign(new Error(`No object ${srcBucket}/${srcKey}`), { code: 'ENOENT' });
    await this.putObject({
      bucket: destBucket,
      key: destKey,
      content: source.handle.createReadStream(),
      metadata: replacementMetadata ?? source.metadata,
    });
    return this.getMetadata(destBucket, destKey);
  }

  override async deleteObject(bucket: string, key: string): Promise<void> {
    // The content goes first: a reader then finds no object, never content without its metadata.
    await unlink(this.getResourcePath(bucket, key, 'object')).catch(ignoreMissing);
    await super.deleteObject(bucket, key);
  }

  /** The object's content, held open, with the metadata written for that very content. */
  private async consistentSnapshot(bucket: string, key: string): Promise<Snapshot | undefined> {
    const objectPath = this.getResourcePath(bucket, key, 'object');
    const metadataPath = this.getResourcePath(bucket, key, 'metadata.json');
    for (let attempt = 1; ; attempt += 1) {
      const handle = await open(objectPath, 'r').catch(ignoreMissing);
      if (handle === undefined) return undefined;
      try {
        const stats = await handle.stat();
        const stored = await readJson(metadataPath);
        const generation = stored?.[GENERATION] as Generation | undefined;
        const current = generation?.ino === stats.ino;
        // Metadata of another generation: a writer is between its renames. Written by plain s3rver: as it is.
        if (current || (stored !== undefined && generation === undefined) || attempt >= CONSISTENT_READ_ATTEMPTS) {
          const { [GENERATION]: _generation, ...metadata } = stored ?? {};
          const md5 = current && generation !== undefined ? generation.md5 : await md5Of(`${objectPath}.md5`, handle);
          return {
            handle,
            stats,
            metadata: { ...metadata, etag: JSON.stringify(md5), 'last-modified': stats.mtime.toUTCString(), 'content-length': stats.size },
          };
        }
      } catch (error) {
        await handle.close();
        throw error;
      }
      await handle.close();
      await sleep(attempt < 10 ? 0 : 5);
    }
  }
}

/**
 * Puts the atomic store in place of the one s3rver built in its constructor (s3rver takes no store option).
 * Call before `run()`: the bucket configuration it writes at start goes through the new store too.
 */
export function useAtomicStore(server: Pick<S3rver, 'store' | 'context'>, directory: string): AtomicFilesystemStore {
  const store = new AtomicFilesystemStore(directory);
  server.store = store;
  server.context.store = store;
  return store;
}

/** Streams `content` into a new file beside `target`; on any failure (or an aborted upload) nothing remains. */
async function writeToTemporaryFile(target: string, content: Readable | Buffer): Promise<{ path: string; size: number; md5: string }> {
  const path = temporaryPathFor(target);
  const md5 = createHash('md5');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      md5.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  const source = Buffer.isBuffer(content) ? Readable.from([content]) : content;
  // pipe() forwards neither a source's error nor its premature end: without these an aborted upload hangs.
  // Attached before the first await, so that a source failing early (a POST file over its size) is seen.
  const onError = (error: Error) => meter.destroy(error);
  // Until pipeline() below takes over, the meter's error is only recorded (pipeline reports it).
  meter.on('error', () => undefined);
  const onClose = () => {
    if (!source.readableEnded) meter.destroy(Object.assign(new Error('The upload ended before its last byte'), { code: 'ECONNRESET' }));
  };
  source.on('error', onError).on('close', onClose);
  source.pipe(meter);
  try {
    await mkdir(dirname(target), { recursive: true });
    await pipeline(meter, createWriteStream(path));
  } catch (error) {
    source.unpipe(meter);
    source.resume();
    await rm(path, { force: true });
    throw error;
  } finally {
    source.off('close', onClose);
  }
  return { path, size, md5: md5.digest('hex') };
}

async function writeTemporaryText(target: string, text: string, temporaries: string[]): Promise<string> {
  const path = temporaryPathFor(target);
  temporaries.push(path);
  await writeFile(path, text);
  return path;
}

/** Ends in `.partial`, so s3rver's listing (files ending `._S3rver_object`) never shows it. */
function temporaryPathFor(target: string): string {
  return `${target}.${randomUUID()}.partial`;
}

/** What s3rver keeps of an object's headers: the standard ones S3 stores, and x-amz-meta-*. */
function storableMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(metadata).filter(([name]) => S3Object.ALLOWED_METADATA.includes(name) || name.startsWith('x-amz-meta-')),
  );
}

async function md5Of(md5Path: string, handle: FileHandle): Promise<string> {
  const recorded = await readFile(md5Path, 'utf8').catch(ignoreMissing);
  if (recorded !== undefined) return recorded.trim();
  const md5 = createHash('md5');
  for await (const chunk of handle.createReadStream({ start: 0, autoClose: false })) md5.update(chunk as Buffer);
  return md5.digest('hex');
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  const text = await readFile(path, 'utf8').catch(ignoreMissing);
  return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(ignoreMissing)) !== undefined;
}

function ignoreMissing(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT') return undefined;
  throw error;
}
