/**
 * Worker image figures (`npm run bench -- image`; needs `npm run image` and a Docker engine):
 * - its size as a registry stores it (`docker save | gzip`, the layers compressed) and unpacked;
 * - the worker's start in the local pipeline: from `docker run` (the container is created and started) or
 *   the child process's spawn until the task's first heartbeat reaches the local Step Functions (the runner
 *   logs it), for a small clip through the whole pipeline, BENCH_ROUNDS (5) videos per launch, medians;
 * - the same without the pipeline: spawn until the worker's first log line, the worker given no job (bundle
 *   loaded, configuration parsed), alternating rounds.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { bundleWorker } from '../../containers/ffmpeg/build.ts';
import { DEFAULT_WORKER_IMAGE } from '../../infra/local/cloud.ts';
import { REPO_ROOT } from '../../infra/shared/repository.ts';
import type { LocalEcsLaunch } from '../../infra/local/ecs/task-runner.ts';
import { writeSrt } from '../../infra/dev-kit/sample-media.ts';
import { finalStatus, sampleClip, startHarness, submitVideo } from '../support/workflow-harness.ts';

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

/** RunTask's start of the worker → its first heartbeat, for each of `ROUNDS` videos through the local pipeline. */
async function firstHeartbeatMs(launch: LocalEcsLaunch): Promise<number[]> {
  const lines: string[] = [];
  const harness = await startHarness({ ecsLaunch: launch, workerImage: IMAGE, fargateStartSeconds: 0, log: (line) => lines.push(line) });
  try {
    const source = await sampleClip(harness, 'clip.mp4');
    const subtitles = join(harness.workDir, 'subtitles.srt');
    await writeSrt(subtitles, [{ startSeconds: 0.2, endSeconds: 1.5, text: 'Olá' }]);
    for (let round = 0; round < ROUNDS; round += 1) {
      const saved = await finalStatus(harness, await submitVideo(harness, { source, subtitles }), 120_000);
      if (saved.status !== 'saved') throw new Error(`the ${launch} run ended ${saved.status}`);
    }
  } finally {
    await harness.stop();
  }
  return lines.flatMap((line) => {
    const ms = /first heartbeat (\d+) ms after start/.exec(line)?.[1];
    return ms === undefined ? [] : [Number(ms)];
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
    say(`worker start → first log line (no job): child process ${median(processMs).toFixed(0)} ms, container ${median(containerMs).toFixed(0)} ms (medians of ${ROUNDS})`);
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
  const [processHeartbeat, containerHeartbeat] = [await firstHeartbeatMs('process'), await firstHeartbeatMs('docker')];
  say(
    `worker start → first heartbeat, in the local pipeline: child process ${median(processHeartbeat).toFixed(0)} ms, ` +
      `container ${median(containerHeartbeat).toFixed(0)} ms (medians of ${containerHeartbeat.length})`,
  );
}
