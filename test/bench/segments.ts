/**
 * Parallel segments (issue 14), `npm run bench -- segments`.
 *
 * A 20-minute 1080p lecture (lecture-clip.ts) → 720p at the service's defaults (the request names no preset
 * and no CRF: medium, CRF 23), through the whole local pipeline twice, each on a local cloud of its own that
 * runs at most two tasks at once (LOCAL_MAX_TASKS=2, this machine's two cores) as child processes, with no
 * simulated Fargate start: once in one pass (PARALLEL_MIN_SECONDS far above the clip's length), once in
 * segments (PARALLEL_MIN_SECONDS=300, SEGMENT_SECONDS=120, the defaults). Printed:
 * 1. upload landed → saved, both ways;
 * 2. the segmented execution's states, from the local execution trace: the planner (Transcode), each
 *    EncodeSegment iteration, JoinSegments, and each task's own run (start → exit of its process);
 * 3. the projection for a one-hour 1080p lecture on AWS at MaxConcurrency 10 and 30: three task starts in a
 *    row (the measured worker image pulled at a stated rate, plus a stated placement time), the planner, the
 *    slowest segment (this machine's one-pass encode speed on 2 cores, scaled to a 2-vCPU ARM64 task by a
 *    stated factor), the join, and the workflow around them as measured here; goal: playable in under 6 min;
 * 4. the CPU time of the workers and their ffmpeg (what this process's ended children used), segmented ÷ one
 *    pass (goal ≤ 1.10), the records' billed vCPU-seconds likewise, and cost per output minute on Fargate
 *    ARM64 on demand and Spot against MediaConvert HD AVC, as billed here and as projected on AWS;
 * 5. the source duration from which segmenting finishes sooner on AWS (what PARALLEL_MIN_SECONDS=300 rests on).
 *
 * BENCH_SEGMENT_SOURCE_SECONDS (1200) shortens the clip for a quick look: below 1200 s the segmented run
 * scales PARALLEL_MIN_SECONDS and SEGMENT_SECONDS down with it, so that it is still cut in ten. The
 * projection's assumptions are printed with it and can be changed: BENCH_ECR_PULL_MBPS (20),
 * BENCH_FARGATE_PLACEMENT_SECONDS (15), BENCH_FARGATE_SPEED (0.7).
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_FARGATE_SPOT_DISCOUNT, estimateFargateCost, FARGATE_ARM64_PRICES } from '../../containers/ffmpeg/src/cost.ts';
import { DEFAULT_SEGMENT_SETTINGS, segmentCountFor, type SegmentSettings } from '../../containers/ffmpeg/src/segment-plan.ts';
import { DEFAULT_RESOLUTION, type JobCost } from '../../functions/core/video.ts';
import { sampleCues, writeSrt } from '../../infra/dev-kit/sample-media.ts';
import { DEFAULT_WORKER_IMAGE, startLocalCloud, type LocalCloud } from '../../infra/local/cloud.ts';
import type { LocalTaskRecord } from '../../infra/local/ecs/capacity-providers.ts';
import type { ExecutionRecord } from '../../infra/local/stepfunctions/execution-registry.ts';
import { compressedImageBytes, imageExists } from './image.ts';
import { LECTURE_FORMAT, lectureClip } from './lecture-clip.ts';
import { MEDIACONVERT_HD_AVC_USD_PER_MINUTE, OUT as BENCH_OUT, pipelineEndToEnd, secondsOf, type PipelineRun } from './pipeline.ts';

const run = promisify(execFile);
const SOURCE_SECONDS = Number(process.env.BENCH_SEGMENT_SOURCE_SECONDS ?? 1200);
const OUT = join(BENCH_OUT, 'segments');
const MAX_TASKS = 2;
/** The worker's defaults (its task definition's): what the segmented run uses at 1200 s. */
const DEFAULTS = DEFAULT_SEGMENT_SETTINGS;
/** The request names the resolution only: the preset and the CRF are the service's defaults (medium, 23). */
const REQUEST = { resolution: DEFAULT_RESOLUTION };

const PROJECTED_SECONDS = 3600;
const PROJECTED_CONCURRENCIES = [10, 30];
/** x264's default GOP (keyint 250): a cut moves back to a keyframe, so a segment can be that much longer. */
const GOP_SECONDS = 250 / LECTURE_FORMAT.fps;
const GOAL_SECONDS = 6 * 60;

/**
 * The projection's assumptions. The pull rate: Fargate caches no image, every task pulls all of it (gzip
 * layers, then unpacks them); 20 MB/s is taken low on purpose, from what published Fargate start times of
 * images of a few hundred MB imply (about a minute for 400 MB through a NAT, less from the same region's ECR
 * through an internet gateway, as deployed). Placement: the task's ENI and host, typically 10–20 s.
 * Speed: a Fargate ARM64 vCPU (a Graviton core) against one of this machine's cores for x264, an assumption.
 */
const ECR_PULL_MB_PER_SECOND = Number(process.env.BENCH_ECR_PULL_MBPS ?? 20);
const FARGATE_PLACEMENT_SECONDS = Number(process.env.BENCH_FARGATE_PLACEMENT_SECONDS ?? 15);
const FARGATE_SPEED = Number(process.env.BENCH_FARGATE_SPEED ?? 0.7);

type Say = (line?: string) => void;

/** The segmented run's settings: the defaults, or scaled down with a shortened clip so it still makes ten segments. */
function segmentedSettings(seconds: number): SegmentSettings {
  if (seconds >= DEFAULTS.segmentSeconds * DEFAULTS.maxConcurrency) return DEFAULTS;
  return { ...DEFAULTS, parallelMinSeconds: Math.min(DEFAULTS.parallelMinSeconds, seconds), segmentSeconds: Math.ceil(seconds / DEFAULTS.maxConcurrency) };
}

// ---- measuring one run ---------------------------------------------------------------------------

let clockTicksPerSecond: number | undefined;

/**
 * CPU time (user + system, ms) of every child of this process that has ended and been waited for, with
 * their own ended children: the workers and the ffmpeg / ffprobe they ran (Linux /proc/self/stat, cutime +
 * cstime). The local cloud's other parts are threads of this process, not children.
 */
async function endedChildrenCpuMs(): Promise<number> {
  clockTicksPerSecond ??= Number((await run('getconf', ['CLK_TCK'])).stdout.trim());
  const stat = await readFile('/proc/self/stat', 'utf8');
  // After "pid (comm) ": field 3 onwards; cutime and cstime are fields 16 and 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / clockTicksPerSecond;
}

interface MeasuredRun {
  run: PipelineRun;
  segmentCount: number;
  /** CPU time of the run's tasks (workers with their ffmpeg). */
  cpuMs: number;
  execution: ExecutionRecord;
  /** The run's ECS tasks, in the order they started. */
  tasks: LocalTaskRecord[];
}

/** The lecture through a local cloud of its own (two tasks at once, the given worker environment). */
async function measuredRun(name: string, workerEnv: Record<string, string>, source: string, subtitles: string): Promise<MeasuredRun> {
  // The cloud's log, for a run to be looked into afterwards; the figures need none of it.
  const log = createWriteStream(join(OUT, `cloud-${name}.log`));
  const cloud = await startLocalCloud({
    port: 0,
    logger: (line) => log.write(`${new Date().toISOString()} ${line}\n`),
    maxTasks: MAX_TASKS,
    ecsLaunch: 'process',
    fargateStartSeconds: 0,
    workerEnv,
  });
  try {
    const cpuBefore = await endedChildrenCpuMs();
    const result = await pipelineEndToEnd(cloud, source, subtitles, REQUEST);
    if (result.status !== 'saved') throw new Error(`the ${name} run ended ${result.status} (see ${join(OUT, `cloud-${name}.log`)})`);
    const tasks = await tasksEnded(cloud);
    const cpuMs = (await endedChildrenCpuMs()) - cpuBefore;
    const execution = cloud.executions.list().find((candidate) => JSON.stringify(candidate.input).includes(result.videoId));
    if (execution === undefined) throw new Error(`no execution for ${result.videoId}`);
    const recorded = (result.final as { segment_count?: number }).segment_count;
    return { run: result, segmentCount: recorded ?? Math.max(1, iterations(execution).length), cpuMs, execution, tasks };
  } finally {
    await cloud.stop();
    await new Promise((resolve) => log.end(resolve));
  }
}

/** The tasks, once every one has exited (the video is saved when the last reports, a moment before its exit). */
async function tasksEnded(cloud: LocalCloud): Promise<LocalTaskRecord[]> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
    const tasks = cloud.ecsTasks();
    if (tasks.every((task) => task.stoppedAt !== undefined)) return tasks.toSorted((a, b) => a.startedAt.localeCompare(b.startedAt));
  }
  throw new Error('the tasks did not exit within a minute of the video being saved');
}

const taskMs = (task: LocalTaskRecord) => Date.parse(task.stoppedAt ?? task.startedAt) - Date.parse(task.startedAt);

interface StateTiming {
  state: string;
  /** The Map iteration's index, for a state inside one. */
  index?: number;
  /** Entered, from the execution's start. */
  atMs: number;
  durationMs: number;
}

/** Each state's last run (entered → exited), from the execution's trace. */
function stateTimings(execution: ExecutionRecord): StateTiming[] {
  const startedAt = Date.parse(execution.startDate);
  const entered = new Map<string, number>();
  return execution.trace.flatMap((entry) => {
    const key = `${entry.state}[${entry.index ?? ''}]`;
    if (entry.type === 'StateEntered') entered.set(key, Date.parse(entry.timestamp));
    if (entry.type !== 'StateExited' || entry.durationMs === undefined) return [];
    const atMs = (entered.get(key) ?? Date.parse(entry.timestamp) - entry.durationMs) - startedAt;
    return [{ state: entry.state, ...(entry.index === undefined ? {} : { index: entry.index }), atMs, durationMs: entry.durationMs }];
  });
}

const stateMs = (execution: ExecutionRecord, state: string) => stateTimings(execution).find((timing) => timing.state === state && timing.index === undefined)?.durationMs;
const iterations = (execution: ExecutionRecord) =>
  stateTimings(execution)
    .filter((timing) => timing.state === 'EncodeSegment')
    .toSorted((a, b) => (a.index ?? 0) - (b.index ?? 0));

// ---- the bench -------------------------------------------------------------------------------------

export async function runSegmentsBench(say: Say): Promise<void> {
  await rm(OUT, { recursive: true, force: true });
  await mkdir(OUT, { recursive: true });
  const settings = segmentedSettings(SOURCE_SECONDS);
  const madeAt = performance.now();
  const clip = await lectureClip(SOURCE_SECONDS);
  const subtitles = join(OUT, 'subtitles.srt');
  await writeSrt(subtitles, sampleCues(SOURCE_SECONDS));
  say(
    `segments — ${SOURCE_SECONDS} s ${LECTURE_FORMAT.width}x${LECTURE_FORMAT.height} lecture (slides, a talking head, speech) → ${REQUEST.resolution} at the defaults; ` +
      `${MAX_TASKS} tasks at once on this machine's ${MAX_TASKS} cores`,
  );
  say(`  source ${clip.made ? `made in ${secondsOf(performance.now() - madeAt)}` : 'from the cache'}: ${clip.path}`);
  const image = await workerImage();

  const onePass = await measuredRun('one-pass', { PARALLEL_MIN_SECONDS: '1000000000' }, clip.path, subtitles);
  const segmented = await measuredRun(
    'segmented',
    { PARALLEL_MIN_SECONDS: String(settings.parallelMinSeconds), SEGMENT_SECONDS: String(settings.segmentSeconds), SEGMENT_MAX_CONCURRENCY: String(settings.maxConcurrency) },
    clip.path,
    subtitles,
  );
  const { preset, crf } = onePass.run.final as { preset?: string; crf?: number };

  say();
  say(`1. upload landed → saved (preset ${preset}, CRF ${crf}):`);
  say(`  one pass:  ${secondsOf(onePass.run.ms)}  (${onePass.segmentCount} segment; its encode ${secondsOf(onePass.run.timings?.encode_ms ?? Number.NaN)})`);
  say(
    `  segmented: ${secondsOf(segmented.run.ms)}  (${segmented.segmentCount} segments; PARALLEL_MIN_SECONDS=${settings.parallelMinSeconds}, ` +
      `SEGMENT_SECONDS=${settings.segmentSeconds}, MaxConcurrency ${settings.maxConcurrency})  → ${(onePass.run.ms / segmented.run.ms).toFixed(2)}× as fast`,
  );
  if (segmented.segmentCount < 2) {
    say('  the segmented run was one pass: the segmented path is not there (is main merged?); nothing more to measure');
    return;
  }

  say();
  sayStates(say, segmented);
  say();
  const inputs = projectionInputs(onePass, segmented, image);
  sayProjection(say, inputs);
  say();
  sayCost(say, onePass, segmented, inputs);
  say();
  sayBreakEven(say, inputs);
}

/** What a task ran for: the local ECS labels it `{videoId}` (the planner or one pass), `{videoId}/{part}` or `{videoId}/join`. */
const partOf = (task: LocalTaskRecord): string | undefined => task.label.split('/')[1];

/** A part's task (the last, if it ran again). */
const taskOf = (tasks: readonly LocalTaskRecord[], part: string | undefined) => tasks.filter((task) => partOf(task) === part).at(-1);

/** The Map's items in their order, as the planner lists them (segment-plan.ts, planParts): the audio first, then v000, v001, … */
function partIds(tasks: readonly LocalTaskRecord[]): string[] {
  const ids = [...new Set(tasks.flatMap((task) => partOf(task) ?? []))].filter((id) => id !== 'join');
  return ids.sort((a, b) => (a === 'audio' ? -1 : b === 'audio' ? 1 : a.localeCompare(b)));
}

function sayStates(say: Say, segmented: MeasuredRun): void {
  const { execution, tasks } = segmented;
  const ids = partIds(tasks);
  const ranFor = (task: LocalTaskRecord | undefined) => (task === undefined ? '' : `  task ${secondsOf(taskMs(task)).padStart(9)}`);
  say(`2. the segmented execution's states, from the local trace (at: from the execution's start; an iteration's time includes its wait for one of the ${MAX_TASKS} task slots, its task's own run does not):`);
  for (const timing of stateTimings(execution).filter((entry) => entry.index === undefined)) {
    const task = timing.state === 'Transcode' ? taskOf(tasks, undefined) : timing.state === 'JoinSegments' ? taskOf(tasks, 'join') : undefined;
    say(`  ${timing.state.padEnd(26)} at +${secondsOf(timing.atMs).padStart(9)}  ${secondsOf(timing.durationMs).padStart(10)}${ranFor(task)}`);
    if (timing.state !== 'EncodeSegments') continue;
    for (const iteration of iterations(execution)) {
      const id = ids[iteration.index ?? -1];
      const label = `    EncodeSegment[${iteration.index}] ${id ?? ''}`;
      say(`${label.padEnd(28)} at +${secondsOf(iteration.atMs).padStart(9)}  ${secondsOf(iteration.durationMs).padStart(10)}${ranFor(taskOf(tasks, id))}`);
    }
  }
  if (ids.length === 0) say(`  (the tasks name no part: their runs in start order, ${tasks.map((task) => (taskMs(task) / 1000).toFixed(1)).join(', ')} s)`);
}

// ---- the AWS projection ----------------------------------------------------------------------------

interface WorkerImage {
  compressedBytes: number;
  unpackedBytes: number;
}

/** The worker image `npm run image` builds, as a registry stores it (gzip layers) and unpacked. */
async function workerImage(): Promise<WorkerImage> {
  const name = process.env.LOCAL_ECS_IMAGE ?? DEFAULT_WORKER_IMAGE;
  if (!imageExists()) throw new Error(`no worker image ${name} (needs \`npm run image\` and a Docker engine): the task start is projected from its size`);
  const { stdout } = await run('docker', ['image', 'inspect', '-f', '{{.Size}}', name]);
  return { compressedBytes: await compressedImageBytes(name), unpackedBytes: Number(stdout.trim()) };
}

interface ProjectionInputs {
  image: WorkerImage;
  /** RunTask → the worker runs: placement and the image's pull. */
  taskStartSeconds: number;
  /** On a 2-vCPU ARM64 task, per second of source: the one-pass encode scaled by FARGATE_SPEED, plus its I/O. */
  fargateSecondsPerSourceSecond: number;
  /** The one-pass encode here, per second of source, on 2 cores (wall clock). */
  localEncodePerSourceSecond: number;
  /**
   * How many of the 2 cores the one-pass task kept busy over its encode (its CPU time over its wall time):
   * near 1 on slides, where x264 has little to do and the decode, the scale and the subtitles filter, one
   * thread, set the pace; then the wall clock is what a task of its own would see too.
   */
  coresBusy: number;
  onePassProbeSeconds: number;
  plannerSeconds: number;
  /** The join here, per second of source (it copies every part and uploads the whole output). */
  joinPerSourceSecond: number;
  /** The audio part's task here, per second of source (it encodes the whole file's sound); 0 without one. */
  audioPerSourceSecond: number;
  /** The execution's own time around its tasks here: the Lambda states, the record, the client's polling. */
  workflowSeconds: number;
  vcpu: number;
  memoryGb: number;
}

function projectionInputs(onePass: MeasuredRun, segmented: MeasuredRun, image: WorkerImage): ProjectionInputs {
  const timings = onePass.run.timings;
  if (timings === undefined) throw new Error('the one-pass record has no timings');
  const localEncodePerSourceSecond = timings.encode_ms / 1000 / SOURCE_SECONDS;
  const ioPerSourceSecond = (timings.download_ms + timings.upload_ms) / 1000 / SOURCE_SECONDS;
  const tasksMs = ['Transcode', 'EncodeSegments', 'JoinSegments'].reduce((sum, state) => sum + (stateMs(segmented.execution, state) ?? 0), 0);
  const cost = segmented.run.cost ?? onePass.run.cost;
  const audio = taskOf(segmented.tasks, 'audio');
  return {
    image,
    taskStartSeconds: FARGATE_PLACEMENT_SECONDS + image.compressedBytes / 1e6 / ECR_PULL_MB_PER_SECOND,
    localEncodePerSourceSecond,
    coresBusy: onePass.cpuMs / timings.encode_ms,
    fargateSecondsPerSourceSecond: localEncodePerSourceSecond / FARGATE_SPEED + ioPerSourceSecond,
    onePassProbeSeconds: timings.probe_ms / 1000,
    plannerSeconds: (stateMs(segmented.execution, 'Transcode') ?? Number.NaN) / 1000,
    joinPerSourceSecond: (stateMs(segmented.execution, 'JoinSegments') ?? Number.NaN) / 1000 / SOURCE_SECONDS,
    audioPerSourceSecond: audio === undefined ? 0 : taskMs(audio) / 1000 / SOURCE_SECONDS,
    workflowSeconds: (segmented.run.ms - tasksMs) / 1000,
    vcpu: cost?.vcpu ?? 2,
    memoryGb: cost?.memory_gb ?? 4,
  };
}

interface Projection {
  count: number;
  /** The longest segment, in seconds of source. */
  longestSegmentSeconds: number;
  /** Each task's run on Fargate (after its start): the planner, the segments, the audio, the join. */
  planner: number;
  slowestSegment: number;
  audio: number;
  join: number;
  /** Upload landed → saved. */
  total: number;
}

/**
 * The segmented job on AWS for `seconds` of source (one wave: every part starts at once). The lecture has
 * sound, so the audio part takes one of the Map's MaxConcurrency places, as the planner counts them
 * (segment-planning.ts): the video is cut in at most MaxConcurrency − 1.
 */
function projectSegmented(inputs: ProjectionInputs, seconds: number, settings: SegmentSettings): Projection {
  const count = segmentCountFor(seconds, { ...settings, maxConcurrency: settings.maxConcurrency - (inputs.audioPerSourceSecond > 0 ? 1 : 0) });
  const longestSegmentSeconds = Math.min(seconds, seconds / count + GOP_SECONDS);
  const slowestSegment = longestSegmentSeconds * inputs.fargateSecondsPerSourceSecond;
  // The audio part runs beside the segments, in the same wave (one core's work, scaled like the video).
  const audio = (seconds * inputs.audioPerSourceSecond) / FARGATE_SPEED;
  const join = seconds * inputs.joinPerSourceSecond;
  const total = inputs.workflowSeconds + 3 * inputs.taskStartSeconds + inputs.plannerSeconds + Math.max(slowestSegment, audio) + join;
  return { count, longestSegmentSeconds, planner: inputs.plannerSeconds, slowestSegment, audio, join, total };
}

/** The same job in one pass: one task start, the probe, the whole encode with its I/O. */
function projectOnePass(inputs: ProjectionInputs, seconds: number): number {
  return inputs.workflowSeconds + inputs.taskStartSeconds + inputs.onePassProbeSeconds + seconds * inputs.fargateSecondsPerSourceSecond;
}

const minutes = (seconds: number) => `${(seconds / 60).toFixed(1)} min`;
const s = (seconds: number) => `${seconds.toFixed(1)} s`;

function sayProjection(say: Say, inputs: ProjectionInputs): void {
  const { image } = inputs;
  say(`3. on AWS, a ${PROJECTED_SECONDS / 60}-minute 1080p lecture (projected):`);
  say(
    `  task start ${s(inputs.taskStartSeconds)} = placement ${s(FARGATE_PLACEMENT_SECONDS)} (stated) + the worker image's pull, ` +
      `${(image.compressedBytes / 1e6).toFixed(0)} MB compressed (${(image.unpackedBytes / 1e6).toFixed(0)} MB unpacked) at ${ECR_PULL_MB_PER_SECOND} MB/s (stated)`,
  );
  say(
    `  encode: ${(1 / inputs.localEncodePerSourceSecond).toFixed(2)}× real time here in one pass on 2 cores (${inputs.coresBusy.toFixed(2)} of them busy on average); on a 2-vCPU ARM64 task ` +
      `${(1 / inputs.fargateSecondsPerSourceSecond).toFixed(2)}× with its I/O (a Graviton vCPU taken as ${FARGATE_SPEED}× one of these cores, an assumption)`,
  );
  say(
    `  planner ${s(inputs.plannerSeconds)} and workflow ${s(inputs.workflowSeconds)} as measured here; join ${(inputs.joinPerSourceSecond * 60).toFixed(2)} s per source minute as here`,
  );
  for (const maxConcurrency of PROJECTED_CONCURRENCIES) {
    const projected = projectSegmented(inputs, PROJECTED_SECONDS, { ...DEFAULTS, maxConcurrency });
    say(
      `  MaxConcurrency ${maxConcurrency}: ${projected.count} video segments of ${s(PROJECTED_SECONDS / projected.count)} and the audio (the longest segment up to ${s(projected.longestSegmentSeconds)}: a cut moves back to a keyframe): ` +
        `3 task starts ${s(3 * inputs.taskStartSeconds)} + planner ${s(projected.planner)} + slowest segment ${s(projected.slowestSegment)} ` +
        `(the audio part beside it ${s(projected.audio)}) + join ${s(projected.join)} ` +
        `+ workflow ${s(inputs.workflowSeconds)} = ${minutes(projected.total)} — goal: playable in under 6 minutes: ${projected.total < GOAL_SECONDS ? 'met' : 'not met'}`,
    );
  }
  say(`  one pass, for comparison: ${minutes(projectOnePass(inputs, PROJECTED_SECONDS))}`);
}

// ---- CPU and cost ----------------------------------------------------------------------------------

function sayCost(say: Say, onePass: MeasuredRun, segmented: MeasuredRun, inputs: ProjectionInputs): void {
  say(`4. CPU and cost:`);
  say(
    `  CPU time of the tasks (workers and their ffmpeg): one pass ${secondsOf(onePass.cpuMs)}, segmented ${secondsOf(segmented.cpuMs)} → ` +
      `segmented / one pass ${(segmented.cpuMs / onePass.cpuMs).toFixed(3)}  (goal ≤ 1.10)`,
  );
  const vcpuSeconds = (cost: JobCost | undefined) => (cost === undefined ? Number.NaN : cost.billed_seconds * cost.vcpu);
  say(
    `  billed vCPU-seconds on the records: one pass ${vcpuSeconds(onePass.run.cost).toFixed(0)}, segmented ${vcpuSeconds(segmented.run.cost).toFixed(0)} → ` +
      `${(vcpuSeconds(segmented.run.cost) / vcpuSeconds(onePass.run.cost)).toFixed(2)}  (here the parts ran ${MAX_TASKS} at once on ${MAX_TASKS} cores, ` +
      `each billed for 2 vCPUs it shared, and every task for a minute at least)`,
  );
  const usd = (value: number) => `$${value.toFixed(5)}`;
  const perMinute = (billedSeconds: number[], outputSeconds: number) => {
    const price = (capacityProvider: 'FARGATE' | 'FARGATE_SPOT') =>
      billedSeconds.reduce(
        (sum, seconds) =>
          sum +
          estimateFargateCost({ vcpu: inputs.vcpu, memoryGb: inputs.memoryGb, seconds, prices: FARGATE_ARM64_PRICES, capacityProvider, spotDiscount: DEFAULT_FARGATE_SPOT_DISCOUNT })
            .estimated_usd,
        0,
      ) / (outputSeconds / 60);
    return `on demand ${usd(price('FARGATE'))}, Spot ${usd(price('FARGATE_SPOT'))}`;
  };
  const output = (measured: MeasuredRun) => measured.run.duration ?? SOURCE_SECONDS;
  say(
    `  per output minute, as billed here (Fargate ARM64, Spot at ${DEFAULT_FARGATE_SPOT_DISCOUNT * 100} % off): one pass ${perMinute([onePass.run.cost?.billed_seconds ?? Number.NaN], output(onePass))}; ` +
      `segmented ${perMinute([segmented.run.cost?.billed_seconds ?? Number.NaN], output(segmented))}; MediaConvert HD AVC ${usd(MEDIACONVERT_HD_AVC_USD_PER_MINUTE)}`,
  );
  // On AWS every task is billed from its pull's start, a minute at least.
  const pull = inputs.taskStartSeconds - FARGATE_PLACEMENT_SECONDS;
  const projected = projectSegmented(inputs, PROJECTED_SECONDS, DEFAULTS);
  const segmentTasks = Array.from({ length: projected.count }, () => pull + (PROJECTED_SECONDS / projected.count) * inputs.fargateSecondsPerSourceSecond);
  say(
    `  per output minute on AWS for the ${PROJECTED_SECONDS / 60}-minute lecture (projected, each task billed from its pull, a minute at least): ` +
      `one pass ${perMinute([pull + inputs.onePassProbeSeconds + PROJECTED_SECONDS * inputs.fargateSecondsPerSourceSecond], PROJECTED_SECONDS)}; ` +
      `segmented at MaxConcurrency ${DEFAULTS.maxConcurrency} ${perMinute([pull + inputs.plannerSeconds, ...segmentTasks, ...(projected.audio > 0 ? [pull + projected.audio] : []), pull + projected.join], PROJECTED_SECONDS)}; ` +
      `MediaConvert HD AVC ${usd(MEDIACONVERT_HD_AVC_USD_PER_MINUTE)}`,
  );
}

// ---- break-even ------------------------------------------------------------------------------------

function sayBreakEven(say: Say, inputs: ProjectionInputs): void {
  const longest = 2 * PROJECTED_SECONDS;
  // Every duration as if it were segmented (no PARALLEL_MIN_SECONDS): where does that start to pay?
  const anyLength = { ...DEFAULTS, parallelMinSeconds: 0 };
  const sooner = (seconds: number) =>
    segmentCountFor(seconds, anyLength) >= 2 && projectSegmented(inputs, seconds, anyLength).total < projectOnePass(inputs, seconds);
  // The shortest duration from which segmenting stays ahead, up to two hours.
  let from: number | undefined;
  for (let seconds = longest; seconds >= 1 && sooner(seconds); seconds -= 1) from = seconds;
  say(
    from === undefined
      ? `5. break-even: segmenting is not sooner on AWS for any source up to ${minutes(longest)} (with these figures)`
      : `5. break-even on AWS: segmenting (SEGMENT_SECONDS=${DEFAULTS.segmentSeconds}, MaxConcurrency ${DEFAULTS.maxConcurrency}) finishes sooner than one pass ` +
          `from ${s(from)} (${minutes(from)}) of source on; the default PARALLEL_MIN_SECONDS is ${DEFAULTS.parallelMinSeconds} s`,
  );
}
