import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiClient, uploadSubtitles, uploadVideo, waitForFinalStatus } from '../../infra/dev-kit/api-client.ts';
import { makeSampleClip, writeSrt } from '../../infra/dev-kit/sample-media.ts';
import { repoPath } from '../../infra/shared/repository.ts';

/**
 * `npm start` killed with SIGKILL while a video is in flight, then started again on the same VIDP_DATA_DIR:
 * the video must not stay `queued` or `processing`. Its execution died with the process; the reconciler fails it as
 * `interrupted` within a minute, and a retry then saves it.
 */
let dataDir: string;
let workDir: string;
let clip: string;
let subtitles: string;
const running = new Set<ChildProcess>();

/** `npm start` as a user runs it (tsx infra/local/start.ts), in a process group of its own with its workers. */
async function startCloud(env: Record<string, string>): Promise<{ process: ChildProcess; apiUrl: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', repoPath('infra/local/start.ts')], {
    cwd: repoPath(),
    env: { ...process.env, PORT: '0', VIDP_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const apiUrl = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const url = /^\s+API\s+(\S+)/.exec(line)?.[1];
      if (url !== undefined) resolve(url);
    });
    child.once('exit', (code) => reject(new Error(`the local cloud exited with ${code} before it was up`)));
  });
  return { process: child, apiUrl };
}

/** Kills the cloud and every worker it started, at once: a crash, not a shutdown. */
async function crash(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'vidp-restart-data-'));
  workDir = await mkdtemp(join(tmpdir(), 'vidp-restart-'));
  clip = join(workDir, 'clip.mp4');
  subtitles = join(workDir, 'subtitles.srt');
  await makeSampleClip(clip, { seconds: 2, width: 320, height: 240 });
  await writeSrt(subtitles, [{ startSeconds: 0.2, endSeconds: 1.5, text: 'Olá' }]);
});

afterAll(async () => {
  for (const child of running) process.kill(-child.pid!, 'SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
  await rm(workDir, { recursive: true, force: true });
});

describe('a crash of the local cloud mid-job', () => {
  it('ends the video failed as interrupted within a minute of the restart, leaves no partial output, and a retry saves it', async () => {
    // A long simulated Fargate start holds the job `queued` (claimed, its worker not started) long enough to
    // crash the cloud there.
    const first = await startCloud({ FARGATE_START_SECONDS: '30' });
    const api = createApiClient(first.apiUrl);
    const created = await api.createVideo({ filename: 'talk.mp4', content_type: 'video/mp4', size: statSync(clip).size, subtitles: { source: 'upload' } });
    await uploadSubtitles(created, subtitles);
    await uploadVideo(api, created, clip);
    await vi.waitUntil(async () => (await api.getVideo(created.video.id)).status === 'queued', { timeout: 20_000, interval: 100 });

    await crash(first.process);
    const second = await startCloud({ FARGATE_START_SECONDS: '0' });
    const restarted = createApiClient(second.apiUrl);
    const startedAt = Date.now();
    const interrupted = await waitForFinalStatus(restarted, created.video.id, { timeoutMs: 60_000, intervalMs: 200 });

    expect(interrupted).toMatchObject({ status: 'failed', error: { code: 'interrupted', message: expect.stringMatching(/retry/) } });
    expect(Date.now() - startedAt).toBeLessThan(60_000);
    const s3Objects = await readdir(join(dataDir, 's3'), { recursive: true });
    expect(s3Objects.filter((path) => path.includes(`videos/${created.video.id}`) || path.includes(`temp/${created.video.id}`))).toEqual([]);

    await restarted.retryVideo(created.video.id);
    const saved = await waitForFinalStatus(restarted, created.video.id, { timeoutMs: 60_000, intervalMs: 200 });
    expect(saved.status).toBe('saved');
    await crash(second.process);
  });
});
