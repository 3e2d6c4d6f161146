import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import envPaths from 'env-paths';

/**
 * One small JSON file per file being uploaded, so running the same `vidp upload` again resumes it: the
 * video's id and the client_token that created it (repeating the create with that token returns the same
 * video and its multipart upload; the client then sends only the parts S3 lacks). Kept in the user's cache
 * directory ($XDG_CACHE_HOME/vidp, ~/.cache/vidp; VIDP_CACHE_DIR overrides), removed once the upload is done.
 */
export interface ResumeRecord {
  video_id: string;
  client_token: string;
  /** What the video was created with: a re-run asking for something else starts a new video. */
  settings: string;
  file: string;
  created_at: string;
}

export function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return env.VIDP_CACHE_DIR || envPaths('vidp', { suffix: '' }).cache;
}

export function createResumeStore(directory: string, apiUrl: string) {
  const folder = join(directory, 'uploads');
  // The same file sent to two deployments is two uploads.
  const pathOf = (fingerprint: string) => join(folder, `${createHash('sha256').update(`${apiUrl}\n${fingerprint}`).digest('hex').slice(0, 32)}.json`);
  return {
    async find(fingerprint: string): Promise<ResumeRecord | undefined> {
      const text = await readFile(pathOf(fingerprint), 'utf8').catch(() => undefined);
      if (text === undefined) return undefined;
      try {
        const record = JSON.parse(text) as Partial<ResumeRecord>;
        return typeof record.video_id === 'string' && typeof record.client_token === 'string' ? (record as ResumeRecord) : undefined;
      } catch {
        return undefined;
      }
    },
    async save(fingerprint: string, record: ResumeRecord): Promise<void> {
      await mkdir(folder, { recursive: true, mode: 0o700 });
      const path = pathOf(fingerprint);
      // Written whole or not at all: a Ctrl-C mid-write must not leave half a record.
      await writeFile(`${path}.tmp`, JSON.stringify(record, null, 2), { mode: 0o600 });
      await rename(`${path}.tmp`, path);
    },
    async remove(fingerprint: string): Promise<void> {
      await rm(pathOf(fingerprint), { force: true });
    },
  };
}
export type ResumeStore = ReturnType<typeof createResumeStore>;
