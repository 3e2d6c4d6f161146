import { randomBytes, randomUUID } from 'node:crypto';
import { open, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../infra/local/cloud.ts';
import { localAdminS3 } from '../support/local-admin-s3.ts';
import { runVidp, startVidp } from '../support/run-vidp.ts';

/**
 * A multipart upload stopped with Ctrl-C and run again: exit 130 with how to resume or discard, then the
 * same command sends only the parts S3 lacks. Proven from S3's side: each part S3 had is marked in its
 * stored file before the re-run, and the assembled object still carries the marks (a re-sent part would
 * have overwritten them).
 */
const MiB = 1024 * 1024;
/** The API's smallest part (choosePartSize): 2 full parts and a short one. */
const PART = 16 * MiB;
const MARK = Buffer.from('part-not-re-sent!');
let cloud: LocalCloud;
let s3: S3Client;
let workDir: string;
let env: Record<string, string>;
let bigFile: string;
let subtitles: string;
let original: Buffer;

beforeAll(async () => {
  process.env.LOG_LEVEL = 'silent';
  cloud = await startLocalCloud({ port: 0, logger: () => {}, functionEnv: { MULTIPART_THRESHOLD_BYTES: String(4 * MiB) } });
  s3 = localAdminS3(cloud);
  workDir = await mkdtemp(join(tmpdir(), 'vidp-cli-resume-'));
  bigFile = join(workDir, `big-${randomUUID().slice(0, 8)}.mp4`);
  subtitles = join(workDir, 'big.srt');
  // Not a video: this test is about the upload, and the pipeline turns it down at once (no encode to wait for).
  original = randomBytes(2 * PART + MiB);
  await Promise.all([writeFile(bigFile, original), writeFile(subtitles, '1\n00:00:00,000 --> 00:00:01,000\nHi\n')]);
  env = { VIDP_API_URL: cloud.apiUrl, VIDP_CACHE_DIR: join(workDir, 'cache') };
});

afterAll(async () => {
  s3?.destroy();
  await cloud?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function api<T>(path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${cloud.apiUrl}${path}`);
  return { status: response.status, body: (await response.json()) as T };
}

describe('a multipart upload interrupted with Ctrl-C', () => {
  it('exits 130 leaving it resumable; the same command then sends only the parts S3 lacks', async () => {
    // One part at a time, so the first line that counts a part done comes while part 2 is on its way.
    const first = startVidp(['upload', bigFile, '--srt', subtitles], { ...env, VIDP_PARTS_IN_FLIGHT: '1' });
    await first.stderrLine(/^upload  .*\(1 of 3 parts\)$/);
    first.child.kill('SIGINT');
    const interrupted = await first.done;

    expect(interrupted.code).toBe(130);
    const id = /video ([0-9a-f-]{36}) waits for its upload/.exec(interrupted.stderr)?.[1];
    expect(id, interrupted.stderr).toBeDefined();
    expect(interrupted.stderr).toMatch(/^error interrupted: \d of 3 parts of big-\w+\.mp4 are in S3/m);
    expect(interrupted.stderr).toContain('Resume: run the same vidp upload command again');
    expect(interrupted.stderr).toContain(`Discard: vidp delete ${id}`);
    expect(await readdir(join(env.VIDP_CACHE_DIR!, 'uploads'))).toHaveLength(1);

    // The API's view: the video waits, and S3 holds some parts but not all.
    expect((await api<{ status: string }>(`/videos/${id}`)).body.status).toBe('awaiting_upload');
    const { body: upload } = await api<{ upload_id: string; part_count: number; parts: { part_number: number; size: number }[] }>(`/videos/${id}/upload`);
    expect(upload.part_count).toBe(3);
    expect(upload.parts.length).toBeGreaterThanOrEqual(1);
    expect(upload.parts.length).toBeLessThan(3);
    const stored = upload.parts.map((part) => part.part_number);
    for (const partNumber of stored) await markStoredPart(upload.upload_id, partNumber);

    const second = await runVidp(['upload', bigFile, '--srt', subtitles, '--json'], env);

    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ id });
    const object = await sourceObject(id!);
    expect(object.byteLength).toBe(original.byteLength);
    for (let partNumber = 1; partNumber <= 3; partNumber += 1) {
      const start = (partNumber - 1) * PART;
      const head = object.subarray(start, start + MARK.byteLength);
      expect(head.equals(stored.includes(partNumber) ? MARK : original.subarray(start, start + MARK.byteLength)), `part ${partNumber}`).toBe(true);
      const rest = object.subarray(start + MARK.byteLength, Math.min(start + PART, object.byteLength));
      expect(rest.equals(original.subarray(start + MARK.byteLength, Math.min(start + PART, original.byteLength))), `part ${partNumber}`).toBe(true);
    }
    // What the CLI says about it, once S3 has shown it is true.
    expect(second.stderr).toContain(`resuming ${bigFile.split('/').at(-1)}: ${stored.length} of 3 parts (${stored.length * 16} MiB) already uploaded`);
    // Done: nothing left to resume.
    expect(await readdir(join(env.VIDP_CACHE_DIR!, 'uploads'))).toHaveLength(0);
  });
});

/** Overwrites the start of a part as the local S3 stores it (its ETag, kept in a file of its own, stays). */
async function markStoredPart(uploadId: string, partNumber: number): Promise<void> {
  const file = await open(join(cloud.s3Directory, cloud.bucket, '._S3rver_uploads', uploadId.replace(/[^\w-]/g, ''), String(partNumber)), 'r+');
  try {
    await file.write(MARK, 0, MARK.byteLength, 0);
  } finally {
    await file.close();
  }
}

async function sourceObject(id: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: cloud.bucket, Key: `uploads/${id}/source.mp4` }));
  return Buffer.from(await object.Body!.transformToByteArray());
}
