/**
 * Worker image figures (`npm run bench -- image`; needs `npm run image` and a Docker engine):
 * - its size as a registry stores it (`docker save | gzip`, the layers compressed) and unpacked;
 * - the worker's start: from `docker run` (the container is created and started) or the child process's
 *   spawn until the worker's first log line. The worker is given no job, so that line comes as soon as the
 *   bundle is loaded and the configuration parsed: the part of a task's start its image decides, before the
 *   first heartbeat (which also waits on the network). Medians of BENCH_ROUNDS (5) alternating rounds.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { bundleWorker } from '../../containers/ffmpeg/build.ts';
import { DEFAULT_WORKER_IMAGE } from '../../infra/local/cloud.ts';
import { REPO_ROOT } from '../../infra/shared/repository.ts';

const run = promisify(execFile);
const IMAGE = process.env.LOCAL_ECS_IMAGE ?? DEFAULT_WORKER_IMAGE;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

export function imageExists(): boolean {
  return spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' }).status === 0;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function median(values: number[]): number {
  return values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
}

/** The image as `docker save` writes it, gzip-compressed, counted as it streams (nothing is kept). */
export async function compressedImageBytes(image: string): Promise<number> {
  const { stdout } = await run('sh', ['-c', 'docker save "$1" | gzip -c | wc -c', 'sh', image], { maxBuffer: 1024 });
  return Number(stdout.trim());
}

/** Milliseconds from spawning `command` until it prints its first line. */
function untilFirstLine(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let done = false;
    const first = () => {
      if (done) return;
      done = true;
      resolve(performance.now() - startedAt);
    };
    for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).once('line', first);
    child.once('error', reject);
    child.once('close', (code) => done || reject(new Error(`${command} exited with ${code} before printing`)));
  });
}

export async function runImageBench(say: (line?: string) => void): Promise<void> {
  const { stdout } = await run('docker', ['image', 'inspect', '-f', '{{.Size}}', IMAGE]);
  say(`image ${IMAGE}: ${mb(await compressedImageBytes(IMAGE))} compressed (docker save | gzip), ${mb(Number(stdout.trim()))} unpacked`);

  const outDir = await mkdtemp(join(REPO_ROOT, '.build', 'bench-worker-'));
  try {
    const bundle = join(outDir, 'worker.mjs');
    await bundleWorker(bundle);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    const processMs: number[] = [];
    const containerMs: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      processMs.push(await untilFirstLine(process.execPath, [bundle], env));
      containerMs.push(await untilFirstLine('docker', ['run', '--rm', '--network', 'none', IMAGE], env));
    }
    say(`worker start → first log line: child process ${median(processMs).toFixed(0)} ms, container ${median(containerMs).toFixed(0)} ms (medians of ${ROUNDS})`);
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
