/**
 * A key that names one file across runs or page reloads without reading all of it: name, size, modification
 * time and a SHA-256 of its first and last MiB. A different file under the same name (or the same file
 * edited) gets another key, so a resume never mixes parts of two files.
 */
const SAMPLE_BYTES = 1024 * 1024;

export interface FileIdentity {
  name: string;
  /** Milliseconds since the epoch, as File.lastModified and fs.Stats.mtimeMs say it. */
  lastModified: number;
}

export async function fingerprintFile(blob: Blob, identity: FileIdentity): Promise<string> {
  const head = await blob.slice(0, SAMPLE_BYTES).arrayBuffer();
  const tail = blob.size > SAMPLE_BYTES ? await blob.slice(Math.max(SAMPLE_BYTES, blob.size - SAMPLE_BYTES)).arrayBuffer() : new ArrayBuffer(0);
  const header = new TextEncoder().encode(JSON.stringify([identity.name, blob.size, Math.trunc(identity.lastModified)]) + '\n');
  const data = new Uint8Array(header.byteLength + head.byteLength + tail.byteLength);
  data.set(header, 0);
  data.set(new Uint8Array(head), header.byteLength);
  data.set(new Uint8Array(tail), header.byteLength + head.byteLength);
  const digest = await crypto.subtle.digest('SHA-256', data);
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}
