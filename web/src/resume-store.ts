/**
 * Multipart uploads that may be resumed after a reload or a lost connection, in localStorage (this browser
 * only, until the upload completes, is cancelled, or its day is up): the video id and upload id the API
 * gave, under the fingerprint of the file (web/client fingerprintFile), so re-selecting the same file finds
 * them. The file itself cannot be kept: a page may not reopen a file the user has not chosen again.
 */
export interface PendingUpload {
  fingerprint: string;
  videoId: string;
  uploadId: string;
  partSize: number;
  partCount: number;
  /** When the API's multipart upload expires (S3's lifecycle rule aborts it after a day). */
  expiresAt: string;
  filename: string;
  size: number;
  startedAt: string;
}

const KEY = 'vidp.pending-uploads.v1';

function read(): PendingUpload[] {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    if (!Array.isArray(stored)) return [];
    const now = Date.now();
    return (stored as PendingUpload[]).filter((entry) => typeof entry?.fingerprint === 'string' && Date.parse(entry.expiresAt) > now);
  } catch {
    // Storage off (some private modes) or a corrupt entry: nothing to resume, and uploads still work.
    return [];
  }
}

function write(entries: PendingUpload[]): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(entries));
  } catch {
    // Full or disabled: the upload goes on, it just cannot be resumed after a reload.
  }
}

export const pendingUploads = {
  list: read,
  find: (fingerprint: string) => read().find((entry) => entry.fingerprint === fingerprint),
  save(entry: PendingUpload): void {
    write([...read().filter((other) => other.fingerprint !== entry.fingerprint), entry]);
  },
  forget(videoId: string): void {
    write(read().filter((entry) => entry.videoId !== videoId));
  },
};
