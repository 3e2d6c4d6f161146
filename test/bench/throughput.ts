/**
 * Throughput on this machine: N uploads at once through the whole local pipeline (the cap on tasks at once,
 * LOCAL_MAX_TASKS, is the cloud's: the cores unless set), against the bare ffmpeg command the worker runs,
 * N times back to back. Jobs per hour for both, and the peak memory of the local cloud with every process it
 * started (workers and their ffmpeg), sampled from /proc. A 10 s 720p clip → 360p, preset veryfast, CRF 23;
 * BENCH_THROUGHPUT_SECONDS and BENCH_THROUGHPUT_UPLOADS (2,8,30) change it.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, rm, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createApiClient, uploadSubtitles, uploadVideo, waitForFinalStatus } from '../../infra/dev-kit/api-client.ts';
import { makeSampleClip, sampleCues, writeSrt } from '../../infra/dev-kit/sample-media.ts';
import type { LocalCloud } from '../../infra/local/cloud.ts';
import { REPO_ROOT } from '../../infra/shared/repository.ts';
import { workerCommand, type BenchTarget } from './pipeline.ts';

const run = promisify(execFile);
const CLIP = { seconds: Number(process.env.BENCH_THROUGHPUT_SECONDS ?? 10), width: 1280, height: 720 };
const UPLOADS = (process.env.BENCH_THROUGHPUT_UPLOADS ?? '2,8,30').split(',').map(Number);
const TARGET: BenchTarget = { resolution: '360p', crf: 23, preset: 'veryfast' };
const OUT = join(REPO_ROOT, 'bench-output', 'throughput');
const MiB = 1024 * 1024;

/** Resident memory of this process and every process below it, in bytes (Linux /proc). */
async function treeRssBytes(root = process.pid): Promise<number> {
  const parents = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = await readFile(`/proc/${entry}/status`, 'utf8');
      const ppid = /^PPid:\s+(\d+)/m.exec(status)?.[1];
      const vmRss = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
      parents.set(Number(entry), Number(ppid ?? 0));
      rss.set(Number(entry), Number(vmRss ?? 0) * 1024);
    } catch {
      // The process ended while we looked.
    }
  }
  const inTree = (pid: number): boolean => {
    for (let current = pid, hops = 0; current > 1 && hops < 64; current = parents.get(current) ?? 0, hops += 1) {
      if (current === root) return true;
    }
    return false;
  };
  let total = 0;
  for (const [pid, bytes] of rss) if (inTree(pid)) total += bytes;
  return total;
}

/** Samples treeRssBytes every 250 ms until stopped; answers the peak. */
function peakMemory(): { stop(): Promise<number> } {
  let peak = 0;
  let sampling = Promise.resolve();
  const timer = setInterval(() => {
    sampling = sampling.then(async () => void (peak = Math.max(peak, await treeRssBytes())));
  }, 250);
  return {
    async stop() {
      clearInterval(timer);
      await sampling;
      return peak;
    },
  };
}

async function uploadsAtOnce(cloud: LocalCloud, count: number, source: string, subtitles: string): Promise<{ ms: number; saved: number; peakBytes: number }> {
  const api = createApiClient(cloud.apiUrl);
  const size = (await stat(source)).size;
  const memory = peakMemory();
  const startedAt = performance.now();
  const finals = await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const created = await api.createVideo({ filename: `throughput-${index}.mp4`, content_type: 'video/mp4', size, ...TARGET, subtitles: { source: 'upload' } });
      await uploadSubtitles(created, subtitles);
      await uploadVideo(api, created, source);
      return waitForFinalStatus(api, created.video.id, { timeoutMs: 60 * 60_000, intervalMs: 500 });
    }),
  );
  const ms = performance.now() - startedAt;
  return { ms, saved: finals.filter((video) => video.status === 'saved').length, peakBytes: await memory.stop() };
}

async function bareBackToBack(count: number, source: string, output: string): Promise<{ ms: number; peakBytes: number }> {
  const args = await workerCommand(source, sampleCues(CLIP.seconds), output, TARGET);
  const memory = peakMemory();
  const startedAt = performance.now();
  for (let index = 0; index < count; index += 1) await run('ffmpeg', args, { maxBuffer: 64 * MiB });
  return { ms: performance.now() - startedAt, peakBytes: await memory.stop() };
}

export async function runThroughputBench(say: (line?: string) => void, cloud: LocalCloud): Promise<void> {
  await rm(OUT, { recursive: true, force: true });
  await mkdir(OUT, { recursive: true });
  const source = join(OUT, 'source.mp4');
  const subtitles = join(OUT, 'subtitles.srt');
  await Promise.all([makeSampleClip(source, CLIP), writeSrt(subtitles, sampleCues(CLIP.seconds))]);
  say(`throughput — ${CLIP.seconds} s ${CLIP.width}x${CLIP.height} → ${TARGET.resolution}, ${TARGET.preset}, CRF ${TARGET.crf}; cap ${cloud.maxTasks} tasks at once`);
  const perHour = (jobs: number, ms: number) => Math.round((jobs * 3_600_000) / ms);
  for (const count of UPLOADS) {
    const bare = await bareBackToBack(count, source, join(OUT, 'bare.mp4'));
    const pipeline = await uploadsAtOnce(cloud, count, source, subtitles);
    say(
      `  ${String(count).padStart(2)} uploads at once: ${pipeline.saved}/${count} saved in ${(pipeline.ms / 1000).toFixed(1)} s = ${perHour(count, pipeline.ms)} jobs/h, ` +
        `peak memory ${Math.round(pipeline.peakBytes / MiB)} MiB | bare ffmpeg ×${count} back to back: ${(bare.ms / 1000).toFixed(1)} s = ` +
        `${perHour(count, bare.ms)} jobs/h (${Math.round(bare.peakBytes / MiB)} MiB with this process) | ratio ${(pipeline.ms / bare.ms).toFixed(2)}`,
    );
  }
}
