import { execFile, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTranscodeArgs, type TranscodeArgsInput } from '../../containers/ffmpeg/src/ffmpeg-command.ts';
import { buildSegmentArgs } from '../../containers/ffmpeg/src/segment-commands.ts';
import { changedShareInBottom, grayFrame, summarizeMedia } from '../../infra/dev-kit/media-inspect.ts';
import { makeSampleClip, writeBurnInScript, writeSrt } from '../../infra/dev-kit/sample-media.ts';
import { FORMAT_SOURCES, makeFormatSource } from '../support/media-corpus.ts';
import { DEFAULT_WORKER_IMAGE } from '../../infra/local/cloud.ts';
import { finalStatus, sampleClip, startHarness, submitVideo, type Harness } from '../support/workflow-harness.ts';

/**
 * The worker as it ships: its image (`npm run image`), run by the local ECS as containers (LOCAL_ECS=docker)
 * with the environment, limits and stop that Fargate gives a task.
 */
const IMAGE = process.env.LOCAL_ECS_IMAGE ?? DEFAULT_WORKER_IMAGE;
const run = promisify(execFile);

/** One command in a throwaway container of the image, as its user, with its entry point replaced. */
async function inImage(script: string): Promise<{ stdout: string; stderr: string }> {
  return run('docker', ['run', '--rm', '--network', 'none', '--entrypoint', 'sh', IMAGE, '-c', script], { maxBuffer: 16 * 1024 * 1024 });
}

beforeAll(() => {
  const inspected = spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' });
  if (inspected.status !== 0) throw new Error(`No image ${IMAGE} (or no Docker engine): run \`npm run image\` first`);
});

describe('the worker image', () => {
  it('runs as a user other than root', async () => {
    const { stdout } = await inImage('id -u');
    expect(Number(stdout.trim())).toBeGreaterThan(0);
  });

  it('has ffmpeg and ffprobe with libass, libx264 and AAC', async () => {
    const { stdout } = await inImage('ffprobe -hide_banner -version >/dev/null && ffmpeg -hide_banner -filters && ffmpeg -hide_banner -encoders');
    expect(stdout).toMatch(/^\s*\S+\s+ass\s/m);
    expect(stdout).toMatch(/^\s*V\S*\s+libx264\s/m);
    expect(stdout).toMatch(/^\s*A\S*\s+aac\s/m);
  });

  it('has every filter the worker\'s commands can use: deinterlacing, cropping, range conversion, the burn-in, idet', async () => {
    // The worker's own command for a source that takes every video step: interlaced, odd-sized, full range.
    const input = {
      inputPath: '/work/source.mkv',
      outputPath: '/work/output.mp4',
      subtitlesPath: '/work/burn-in.ass',
      fontsDir: '/usr/share/fonts/truetype/dejavu',
      width: 720,
      height: 574,
      crf: 23,
      preset: 'veryfast' as const,
      hasAudio: true,
      video: {
        width: 721,
        height: 575,
        rotation: 0,
        sampleAspectRatio: 1,
        pixFmt: 'yuvj420p',
        codec: 'mpeg2video',
        frameRate: { base: 25, average: 25 },
        fieldOrder: 'tt',
        color: { range: 'pc' },
      },
    } satisfies TranscodeArgsInput;
    const args = buildTranscodeArgs(input);
    // A retimed long video's segment adds its own frame selection (segment-commands.ts).
    const segment = buildSegmentArgs({
      ...input,
      frameRate: 30,
      part: { kind: 'video', id: 'v001', start: 3, end: 6, durationSeconds: 3 },
      videoStartSeconds: 0,
    });
    const graphs = [args[args.indexOf('-vf') + 1]!, segment[segment.indexOf('-vf') + 1]!];
    // Filters are separated by unescaped commas; the subtitles filter's own values escape theirs.
    const used = graphs.flatMap((graph) => graph.split(/(?<!\\),/).map((filter) => filter.split('=')[0]!));
    // field-motion.ts reads an interlaced source's first frames through idet.
    const needed = [...new Set([...used, 'idet'])];
    expect(needed).toEqual(expect.arrayContaining(['bwdif', 'crop', 'scale', 'ass', 'fps', 'trim', 'setpts']));

    const { stdout } = await inImage('ffmpeg -hide_banner -filters');
    const available = new Set(stdout.split('\n').map((line) => line.trim().split(/\s+/)[1]));
    expect(needed.filter((filter) => !available.has(filter))).toEqual([]);
  });

  it('has the default font in FONTS_DIR', async () => {
    const { stdout } = await inImage('echo "$FONTS_DIR"; ls "$FONTS_DIR"');
    const [fontsDir, ...files] = stdout.trim().split('\n');
    expect(fontsDir).toBe('/usr/share/fonts/truetype/dejavu');
    expect(files).toContain('DejaVuSans.ttf');
  });

  it('burns subtitles with libx264 and keeps a fontconfig cache it can write', async () => {
    const { stdout, stderr } = await inImage(
      [
        "printf '1\\n00:00:00,000 --> 00:00:01,000\\nOlá\\n' > /tmp/s.srt",
        'ffmpeg -hide_banner -nostdin -f lavfi -i color=gray:s=320x240:d=1 -vf "subtitles=/tmp/s.srt:fontsdir=$FONTS_DIR" -c:v libx264 -preset ultrafast -f mp4 -y /tmp/out.mp4',
        'test -s /tmp/out.mp4 && ls "$HOME/.cache/fontconfig" | wc -l',
      ].join(' && '),
    );
    expect(stderr).not.toMatch(/No writable cache directories/);
    expect(Number(stdout.trim())).toBeGreaterThan(0);
  });
});

describe("the image's ffmpeg against Debian's on the host", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vidp-image-'));
    // The container's user writes its output here.
    await chmod(dir, 0o777);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("encodes the worker's command on a test clip to the same picture and sound", async () => {
    await makeSampleClip(join(dir, 'source.mp4'), { seconds: 3, width: 1280, height: 720 });
    await writeBurnInScript(join(dir, 'burn-in.ass'), [{ startSeconds: 0.5, endSeconds: 2.5, text: 'Ça va? Grüße' }]);
    const argsIn = (root: string, output: string) =>
      buildTranscodeArgs({
        inputPath: join(root, 'source.mp4'),
        outputPath: join(root, output),
        subtitlesPath: join(root, 'burn-in.ass'),
        fontsDir: '/usr/share/fonts/truetype/dejavu',
        width: 640,
        height: 360,
        crf: 23,
        preset: 'veryfast',
        hasAudio: true,
      });

    await run('ffmpeg', argsIn(dir, 'host.mp4'), { maxBuffer: 64 * 1024 * 1024 });
    await run('docker', ['run', '--rm', '--network', 'none', '-v', `${dir}:/work`, '--entrypoint', 'ffmpeg', IMAGE, ...argsIn('/work', 'image.mp4')], {
      maxBuffer: 64 * 1024 * 1024,
    });

    const [host, image] = await Promise.all([summarizeMedia(join(dir, 'host.mp4')), summarizeMedia(join(dir, 'image.mp4'))]);
    expect(image.video).toEqual(host.video);
    expect(image.audio).toEqual(host.audio);
    expect(Math.abs(image.durationSeconds - host.durationSeconds)).toBeLessThan(0.05);
    const { stderr } = await run('ffmpeg', ['-hide_banner', '-i', join(dir, 'host.mp4'), '-i', join(dir, 'image.mp4'), '-lavfi', 'psnr', '-f', 'null', '-']);
    const average = /PSNR .*average:(\S+)/.exec(stderr)?.[1];
    expect(average === 'inf' || Number(average) >= 45).toBe(true);
  });

  it('decodes every stream of every format of the media corpus (HEVC 10-bit, VP9/Opus WebM, ProRes/PCM MOV, MPEG-4/MP3 AVI) as Debian\'s does', async () => {
    const names = Object.keys(FORMAT_SOURCES);
    for (const name of names) makeFormatSource(name, join(dir, name));
    // Per file: each stream's codec and the frames ffprobe decodes from it (the image has no framemd5 muxer),
    // after a full decode of every stream that stops at the first error (its only audio encoder is AAC).
    const decodeAll = (root: string) =>
      names
        .map((name) => `ffmpeg -v error -xerror -i ${root}/${name} -map 0 -c:v wrapped_avframe -c:a aac -f null - && ffprobe -v error -count_frames -show_entries stream=codec_name,nb_read_frames -of csv=p=0 ${root}/${name} || echo "failed: ${name}"`)
        .join('; ');
    const { stdout: host } = await run('sh', ['-c', decodeAll(dir)], { maxBuffer: 16 * 1024 * 1024 });
    const { stdout: image } = await run('docker', ['run', '--rm', '--network', 'none', '-v', `${dir}:/work:ro`, '--entrypoint', 'sh', IMAGE, '-c', decodeAll('/work')], {
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(host).not.toContain('failed');
    expect(host).toMatch(/^hevc,50$/m);
    expect(host).toMatch(/^opus,\d+$/m);
    expect(host).toMatch(/^pcm_s24le,\d+$/m);
    expect(host).toMatch(/^mp3,\d+$/m);
    expect(image).toBe(host);
  });
});

/** A local cloud for the describe block that runs its ECS tasks as containers of the image; its log is kept. */
function dockerCloud(workerEnv: Record<string, string>): { harness: () => Harness; cloudLog: string[] } {
  let harness: Harness | undefined;
  const cloudLog: string[] = [];
  beforeAll(async () => {
    harness = await startHarness({ ecsLaunch: 'docker', workerImage: IMAGE, workerEnv, log: (line) => cloudLog.push(line) });
  });
  afterAll(async () => {
    await harness?.stop();
  });
  return { harness: () => harness!, cloudLog };
}

describe('the pipeline with its tasks as containers of the image', () => {
  // Heartbeats every second: a stopped execution is noticed within a second.
  const cloud = dockerCloud({ HEARTBEAT_INTERVAL_SECONDS: '1' });
  const { cloudLog } = cloud;

  it('saves a video with its subtitles burned in', async () => {
    const harness = cloud.harness();
    const source = await sampleClip(harness, 'clip.mp4', { seconds: 3, width: 640, height: 360 });
    const subtitles = join(harness.workDir, 'subtitles.srt');
    await writeSrt(subtitles, [{ startSeconds: 0.5, endSeconds: 2.5, text: 'Ça va? Grüße' }]);

    const video = await submitVideo(harness, { source, subtitles });
    const saved = await finalStatus(harness, video, 120_000);

    expect(saved.error).toBeUndefined();
    expect(saved.status).toBe('saved');
    expect(cloudLog.some((line) => line.includes(`[worker ${video.id}] started: docker run`))).toBe(true);
    const output = join(harness.workDir, 'output.mp4');
    await writeFile(output, Buffer.from(await (await fetch(saved.playback_url!)).arrayBuffer()));
    const { video: stream } = await summarizeMedia(output);
    expect(stream).toMatchObject({ codec: 'h264', width: 640, height: 360 });
    const changed = changedShareInBottom(await grayFrame(source, 1.5, 640, 360), await grayFrame(output, 1.5, 640, 360), 640, 360);
    expect(changed).toBeGreaterThan(0.005);
  });

  it('gives each container the task size as its limits and only the task environment', async () => {
    const started = cloudLog.find((line) => line.includes('started: docker run'))!;
    expect(started).toMatch(/--network host/);
    expect(started).toMatch(/--cpus 2 /);
    expect(started).toMatch(/--memory 4096m/);
    expect(started).toMatch(/-e TASK_TOKEN /);
    expect(started).toMatch(/-e ECS_CONTAINER_METADATA_URI_V4 /);
    expect(started).not.toMatch(/-e (PATH|HOME) /);
  });

  it('stops a task with SIGTERM to PID 1: ffmpeg ends at once and the stopped task reports nothing', async () => {
    const harness = cloud.harness();
    const source = await sampleClip(harness, 'long.mp4', { seconds: 9, width: 1920, height: 1080 });
    const subtitles = join(harness.workDir, 'long.srt');
    await writeSrt(subtitles, [{ startSeconds: 0.2, endSeconds: 8, text: 'Olá' }]);
    const video = await submitVideo(harness, { source, subtitles, request: { resolution: '1080p', preset: 'slow' } });
    const processing = await vi.waitUntil(
      async () => {
        const record = await harness.api.getVideo(video.id);
        return record.status === 'processing' && (record.progress ?? 0) > 0 && record;
      },
      { timeout: 120_000, interval: 200 },
    );

    const deletedAt = Date.now();
    expect((await fetch(`${harness.cloud.apiUrl}/videos/${video.id}`, { method: 'DELETE' })).status).toBe(204);
    const exited = await vi.waitUntil(() => cloudLog.find((line) => line.includes(`[worker ${video.id}] exited`)), { timeout: 60_000, interval: 100 });

    // Well inside the 30 s stop timeout, so not docker's SIGKILL (exit 137).
    expect(Date.now() - deletedAt).toBeLessThan(20_000);
    expect(exited).not.toMatch(/exited with 137/);
    const execution = await harness.cloud.executions.waitFor(processing.execution_id!.split(':').pop()!);
    expect(execution.status).toBe('ABORTED');
    const taskLines = cloudLog.filter((line) => line.includes(`[worker ${video.id}]`));
    expect(taskLines.some((line) => line.includes('job abandoned, nothing reported'))).toBe(true);
    expect(taskLines.some((line) => /job (succeeded|failed)/.test(line))).toBe(false);
  });
});

describe('a long video with its segments as containers of the image', () => {
  const cloud = dockerCloud({ PARALLEL_MIN_SECONDS: '4', SEGMENT_SECONDS: '2' });

  it('is planned, encoded in segments with its audio and joined, as long as its source, a cue drawn across every cut', async () => {
    const harness = cloud.harness();
    const source = await sampleClip(harness, 'long.mp4', { seconds: 6, width: 640, height: 360, keyframeEverySeconds: 1 });
    const subtitles = join(harness.workDir, 'subtitles.srt');
    await writeSrt(subtitles, [{ startSeconds: 0.5, endSeconds: 5.5, text: 'Über alle Schnitte' }]);

    const video = await submitVideo(harness, { source, subtitles });
    const saved = await finalStatus(harness, video, 180_000);

    expect(saved.error).toBeUndefined();
    expect(saved.segment_count).toBe(3);
    expect(cloud.cloudLog.some((line) => line.includes(`[worker ${video.id}/join] started: docker run`))).toBe(true);
    const output = join(harness.workDir, 'joined.mp4');
    await writeFile(output, Buffer.from(await (await fetch(saved.playback_url!)).arrayBuffer()));
    const summary = await summarizeMedia(output);
    expect(summary.video).toMatchObject({ codec: 'h264', width: 640, height: 360, fps: 25 });
    expect(summary.audio).toMatchObject({ codec: 'aac' });
    expect(summary.durationSeconds).toBeCloseTo(6, 1);
    // The cue crosses both cuts (at 2 s and 4 s): drawn in every segment.
    for (const at of [1.5, 3, 4.5]) {
      const changed = changedShareInBottom(await grayFrame(source, at, 640, 360), await grayFrame(output, at, 640, 360), 640, 360);
      expect(changed, `the subtitle at ${at} s`).toBeGreaterThan(0.005);
    }
  });
});

describe('a container whose fonts directory holds no font', () => {
  const cloud = dockerCloud({ FONTS_DIR: '/usr/share/fonts/none' });
  const { cloudLog } = cloud;

  it('refuses the job at start, before encoding anything', async () => {
    const harness = cloud.harness();
    const source = await sampleClip(harness, 'clip.mp4');
    const subtitles = join(harness.workDir, 'subtitles.srt');
    await writeSrt(subtitles, [{ startSeconds: 0.2, endSeconds: 1.5, text: 'Olá' }]);

    const failed = await finalStatus(harness, await submitVideo(harness, { source, subtitles }), 120_000);

    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBe('worker_misconfigured');
    expect(cloudLog.some((line) => line.includes('frame='))).toBe(false);
  });
});
