/**
 * `npm run demo`: the whole pipeline once, as a user would drive it from a browser.
 *
 * Uses the local cloud at http://127.0.0.1:$PORT (default 3000) if `npm start` is running there, else starts
 * its own on free ports. Makes a sample clip and subtitles, creates the video through the API, uploads both
 * files to the presigned POSTs, follows the status, then shows the execution trace, an ffprobe summary and the
 * playback URL. Exits 1 if the video does not end `saved`.
 */
import './polyfills.ts';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ApiError, createApiClient, uploadSubtitles, uploadVideo, waitForFinalStatus } from '../dev-kit/api-client.ts';
import { startLocalCloud, type LocalCloud } from './cloud.ts';
import type { ExecutionRecord } from './stepfunctions/execution-registry.ts';
import { REPO_ROOT } from '../shared/repository.ts';
import { summarizeMedia, topLevelBoxes, saveFrame, type MediaSummary } from '../dev-kit/media-inspect.ts';
import { makeSampleClip, sampleCues, writeSrt } from '../dev-kit/sample-media.ts';

const CLIP = { seconds: 20, width: 1920, height: 1080 };
const TARGET = { resolution: '720p', crf: 23, preset: 'veryfast' } as const;
const OUTPUT_DIR = join(REPO_ROOT, 'demo-output');

const say = (line = '') => process.stdout.write(`${line}\n`);
const step = (index: number, text: string) => say(`\n[${index}/5] ${text}`);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

async function main(): Promise<number> {
  say('vidp demo: a video and its subtitles in, an MP4 with the subtitles burned in out');
  const { gatewayUrl, ownCloud } = await connectToLocalCloud();
  try {
    return await runDemo(gatewayUrl);
  } finally {
    if (ownCloud) {
      say('\nStopping the local cloud this demo started (its playback URL stops working now; the file stays).');
      say('Run `npm start` in another terminal first to keep URLs alive.');
      await ownCloud.stop();
    }
  }
}

async function connectToLocalCloud(): Promise<{ gatewayUrl: string; ownCloud?: LocalCloud }> {
  const port = Number(process.env.PORT ?? 3000);
  const running = `http://127.0.0.1:${port}`;
  if (await isVidpCloud(running)) {
    say(`Using the local cloud running at ${running}`);
    return { gatewayUrl: running };
  }
  say(`No local cloud at ${running}: starting one for this demo (DEMO_VERBOSE=1 shows its logs)...`);
  const verbose = process.env.DEMO_VERBOSE === '1';
  // The handlers run in this process and log JSON to stdout; the demo tells the story itself unless asked.
  if (!verbose) process.env.LOG_LEVEL ??= 'warn';
  const quiet = verbose ? undefined : { logger: () => {} };
  const ownCloud = await startLocalCloud({ port: 0, ...quiet });
  say(`Local cloud up: API ${ownCloud.apiUrl}`);
  return { gatewayUrl: ownCloud.gatewayUrl, ownCloud };
}

async function isVidpCloud(gatewayUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${gatewayUrl}/_local/info`, { signal: AbortSignal.timeout(1000) });
    return response.ok && typeof ((await response.json()) as { apiUrl?: unknown }).apiUrl === 'string';
  } catch {
    return false;
  }
}

async function runDemo(gatewayUrl: string): Promise<number> {
  const api = createApiClient(`${gatewayUrl}/api`);
  await mkdir(OUTPUT_DIR, { recursive: true });
  const sourcePath = join(OUTPUT_DIR, 'sample.mp4');
  const subtitlesPath = join(OUTPUT_DIR, 'sample.srt');

  step(1, `Making a ${CLIP.seconds} s ${CLIP.width}x${CLIP.height} sample clip with audio, and subtitles with accented text`);
  const cues = sampleCues(CLIP.seconds);
  await Promise.all([makeSampleClip(sourcePath, CLIP), writeSrt(subtitlesPath, cues)]);
  const sourceSize = (await stat(sourcePath)).size;
  say(`      ${rel(sourcePath)} (${mib(sourceSize)}), ${rel(subtitlesPath)} (${cues.length} cues, e.g. "${cues[0]?.text}")`);

  step(2, `POST /api/videos  (resolution ${TARGET.resolution}, crf ${TARGET.crf}, preset ${TARGET.preset})`);
  const created = await api.createVideo({
    filename: 'sample.mp4',
    content_type: 'video/mp4',
    size: sourceSize,
    ...TARGET,
    subtitles: { source: 'upload' },
  });
  const id = created.video.id;
  say(`      201 Created: video ${id}, status ${created.video.status}, upload URLs expire ${created.upload.expires_at}`);

  step(3, 'Uploading straight to S3 with the presigned POSTs (subtitles first, then the video)');
  const uploadStarted = Date.now();
  await uploadSubtitles(created, subtitlesPath);
  await uploadVideo(api, created, sourcePath);
  say(`      uploaded in ${Date.now() - uploadStarted} ms; the upload event starts the workflow`);

  step(4, 'Following GET /api/videos/{id}');
  const processingStarted = Date.now();
  const final = await waitForFinalStatus(api, id, {
    timeoutMs: 10 * 60_000,
    onChange: (video) => {
      const progress = video.status === 'processing' && video.progress !== undefined ? ` ${video.progress}%` : '';
      say(`      ${seconds(Date.now() - processingStarted)}  ${video.status}${progress}`);
    },
  });

  const execution = await fetchExecution(gatewayUrl, final.execution_id);
  if (execution !== undefined) {
    say(`\n      Execution ${execution.name}: ${execution.status}`);
    for (const line of formatTrace(execution)) say(`        ${line}`);
  }

  if (final.status !== 'saved' || final.playback_url === undefined) {
    say(`\nFAILED: ${final.error?.code ?? final.status}: ${final.error?.message ?? 'no reason recorded'}`);
    return 1;
  }

  step(5, 'The result');
  const outputPath = join(OUTPUT_DIR, `${id}.mp4`);
  const download = await fetch(final.playback_url);
  if (!download.ok) throw new Error(`Downloading the playback URL answered ${download.status}`);
  await writeFile(outputPath, Buffer.from(await download.arrayBuffer()));
  const summary = await summarizeMedia(outputPath);
  const boxes = await topLevelBoxes(outputPath);
  const framePath = join(OUTPUT_DIR, `${id}-frame.png`);
  const firstCue = cues[0]!;
  await saveFrame(outputPath, (firstCue.startSeconds + firstCue.endSeconds) / 2, framePath);

  say(`      record:  ${final.resolution}, ${final.duration} s, ${mib(final.file_size ?? 0)}, ${final.s3_uri}`);
  say(`      ffprobe: ${describeMedia(summary)}`);
  say(`      faststart (moov before mdat): ${boxes.indexOf('moov') < boxes.indexOf('mdat') ? 'yes' : 'NO'}  [${boxes.join(' ')}]`);
  say(`      saved:   ${rel(outputPath)}  (a frame with subtitles: ${rel(framePath)})`);
  say(`\nPlayback URL (valid ${process.env.PLAYBACK_URL_TTL_SECONDS ?? 3600} s, while the local cloud runs):\n${final.playback_url}`);
  return 0;
}

/**
 * The execution once it has ended: the record says saved at RecordResult, and the states after it (the
 * temp cleanup, the VideoSaved event) are still running for a moment.
 */
async function fetchExecution(gatewayUrl: string, executionArn: string | undefined): Promise<ExecutionRecord | undefined> {
  const name = executionArn?.split(':').pop();
  if (!name) return undefined;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const response = await fetch(`${gatewayUrl}/_local/executions/${encodeURIComponent(name)}`);
    if (!response.ok) return undefined;
    const execution = (await response.json()) as ExecutionRecord;
    if (execution.status !== 'RUNNING' || Date.now() > deadline) return execution;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The execution's states in order with how long each took: the local view of the console's graph. */
export function formatTrace(execution: ExecutionRecord): string[] {
  const width = Math.max(...execution.trace.map((entry) => entry.state.length));
  return execution.trace
    .filter((entry) => entry.type !== 'StateEntered')
    .map((entry) => {
      const name = entry.state.padEnd(width);
      const took = entry.durationMs === undefined ? '' : `${String(entry.durationMs).padStart(7)} ms`;
      switch (entry.type) {
        case 'StateExited':
          return `✓ ${name} ${took}`;
        case 'StateFailed':
          return `✗ ${name} ${took}  ${entry.error ?? ''}`;
        case 'StateRetried':
          return `↻ ${name}            retry ${entry.attempt ?? ''}`;
        default:
          return `→ ${name}            caught, going to ${entry.next ?? '?'}`;
      }
    });
}

function describeMedia(summary: MediaSummary): string {
  const video = summary.video
    ? `${summary.video.codec} ${summary.video.width}x${summary.video.height} ${summary.video.pixFmt} ${summary.video.fps.toFixed(2)} fps`
    : 'no video';
  const audio = summary.audio ? `${summary.audio.codec} ${summary.audio.sampleRate} Hz ${summary.audio.channels} ch` : 'no audio';
  return `${summary.formatName}; ${video}; ${audio}; ${summary.durationSeconds.toFixed(3)} s; ${mib(summary.sizeBytes)}`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1).padStart(5)} s`;
const rel = (path: string) => relative(process.cwd(), path) || path;

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(`\nFAILED: ${error instanceof ApiError ? `${error.status} ${error.code}: ${error.message}` : error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
