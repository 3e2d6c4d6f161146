import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, ListObjectsV2Command, NotFound, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import type { PresignedPostUpload } from '../../functions/core/storage.ts';
import type { PublicVideo } from '../../functions/core/video.ts';
import { createApiClient, uploadSubtitles, uploadVideo, waitForFinalStatus, type ApiClient } from '../../infra/dev-kit/api-client.ts';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../../infra/local/cloud.ts';
import type { ExecutionRecord } from '../../infra/local/stepfunctions/execution-registry.ts';
import { LOCAL_ADMIN_CREDENTIALS, LOCAL_REGION } from '../../infra/local/local-resources.ts';
import { makeSampleClip } from '../../infra/dev-kit/sample-media.ts';

/**
 * What the workflow tests share: a local cloud with no waits between retries, a browser-like client, and
 * the checks every failure-mode test makes — the final status and code, the source still stored, temp/
 * empty, and no second output, record or transcode.
 */

/** Every state with a Retry: tests do not wait between attempts. */
export const NO_RETRY_WAITS = Object.fromEntries(
  [
    'ClaimJob',
    'PrepareSubtitles',
    'Transcode',
    'RecordResult',
    'CleanUpTemp',
    'PublishVideoSaved',
    'CleanUpTempAfterFailure',
    'MarkFailed',
    'PublishVideoFailed',
  ].map((state) => [state, 0]),
);

export const SMALL_CLIP = { seconds: 2, width: 320, height: 240 } as const;
export const ONE_CUE_SRT = '1\n00:00:00,200 --> 00:00:01,500\nOlá — déjà vu\n';

export interface Harness {
  cloud: LocalCloud;
  api: ApiClient;
  s3: S3Client;
  workDir: string;
  stop(): Promise<void>;
}

export async function startHarness(options: Omit<LocalCloudOptions, 'port' | 'logger'> & { log?: (line: string) => void } = {}): Promise<Harness> {
  process.env.LOG_LEVEL = 'silent';
  const { log, ...cloudOptions } = options;
  const cloud = await startLocalCloud({
    port: 0,
    logger: log ?? (() => {}),
    retryIntervalOverrides: NO_RETRY_WAITS,
    cleanupIntervalMs: 0,
    // A short simulated Fargate start, so the worker never runs as if RunTask started it at once.
    fargateStartSeconds: 0.1,
    ...cloudOptions,
  });
  const s3 = new S3Client({
    region: LOCAL_REGION,
    credentials: LOCAL_ADMIN_CREDENTIALS,
    endpoint: cloud.s3Endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const workDir = await mkdtemp(join(tmpdir(), 'vidp-workflow-'));
  return {
    cloud,
    api: createApiClient(cloud.apiUrl),
    s3,
    workDir,
    async stop() {
      s3.destroy();
      await cloud.stop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** A small clip with a tone, made once per name in the harness' work dir. */
export async function sampleClip(
  harness: Harness,
  name: string,
  options: { seconds: number; width: number; height: number; audio?: boolean; keyframeEverySeconds?: number } = SMALL_CLIP,
): Promise<string> {
  const path = join(harness.workDir, name);
  await makeSampleClip(path, { fps: 25, ...options });
  return path;
}

export async function writeTemp(harness: Harness, name: string, content: string | Uint8Array): Promise<string> {
  const path = join(harness.workDir, `${randomUUID()}-${name}`);
  await writeFile(path, content);
  return path;
}

export interface SubmittedVideo {
  id: string;
  filename: string;
  sourceKey: string;
}

/**
 * Does what a browser does: POST /api/videos (a unique filename, so its records can be counted), then the
 * subtitles (when uploaded) and the video to their presigned POSTs.
 */
export async function submitVideo(
  harness: Harness,
  input: {
    source: string;
    /** A file to upload as the subtitles; omitted for subtitles at a URL. */
    subtitles?: string;
    subtitlesUrl?: string;
    extension?: string;
    request?: Record<string, unknown>;
    /** Runs once the video exists, before anything is uploaded (e.g. to arrange a fault for it). */
    beforeUpload?: (videoId: string) => Promise<void>;
    /**
     * Files stored with a signed PutObject at the key their presigned POST names, past its policy: how a
     * 0-byte file still reaches the pipeline (S3 refuses it at the POST, whose content-length-range starts
     * at 1; a multipart upload, whose parts have no such range, or any other writer can still store one).
     */
    putObject?: readonly ('source' | 'subtitles')[];
  },
): Promise<SubmittedVideo> {
  const filename = `${randomUUID()}.${input.extension ?? 'mp4'}`;
  const created = await harness.api.createVideo({
    filename,
    content_type: 'video/mp4',
    // The declared size only caps the upload; an empty file is declared as 1 byte.
    size: Math.max(1, (await stat(input.source)).size),
    resolution: '360p',
    crf: 30,
    preset: 'ultrafast',
    subtitles: input.subtitlesUrl === undefined ? { source: 'upload' } : { source: 'url', url: input.subtitlesUrl },
    ...input.request,
  });
  await input.beforeUpload?.(created.video.id);
  const put = new Set(input.putObject);
  if (input.subtitles !== undefined) {
    if (put.has('subtitles')) await putPastPolicy(harness, created.subtitles_upload!, input.subtitles);
    else await uploadSubtitles(created, input.subtitles);
  }
  if (put.has('source') && created.upload.method === 'POST') await putPastPolicy(harness, created.upload, input.source);
  else await uploadVideo(harness.api, created, input.source);
  return { id: created.video.id, filename, sourceKey: `uploads/${created.video.id}/source.${input.extension ?? 'mp4'}` };
}

async function putPastPolicy(harness: Harness, upload: PresignedPostUpload, filePath: string): Promise<void> {
  await harness.s3.send(
    new PutObjectCommand({ Bucket: harness.cloud.bucket, Key: upload.fields.key, ContentType: upload.fields['Content-Type'], Body: await readFile(filePath) }),
  );
}

export function finalStatus(harness: Harness, video: SubmittedVideo, timeoutMs = 45_000) {
  return waitForFinalStatus(harness.api, video.id, { timeoutMs, intervalMs: 100 });
}

/** The executions an upload of this video's source started, once all of them have ended. */
export async function executionsOf(harness: Harness, video: SubmittedVideo): Promise<ExecutionRecord[]> {
  const started = harness.cloud.executions
    .list()
    .filter((execution) => (execution.input as { detail?: { object?: { key?: string } } }).detail?.object?.key === video.sourceKey);
  return Promise.all(started.map((execution) => harness.cloud.executions.waitFor(execution.name)));
}

export async function keysUnder(harness: Harness, prefix: string): Promise<string[]> {
  const { Contents = [] } = await harness.s3.send(new ListObjectsV2Command({ Bucket: harness.cloud.bucket, Prefix: prefix }));
  return Contents.map((object) => object.Key!).sort();
}

export async function objectExists(harness: Harness, key: string): Promise<boolean> {
  try {
    await harness.s3.send(new HeadObjectCommand({ Bucket: harness.cloud.bucket, Key: key }));
    return true;
  } catch (error) {
    if (error instanceof NotFound) return false;
    throw error;
  }
}

/** Records carrying this filename (the filename index): one per video, whatever the workflow did. */
export async function recordsNamed(harness: Harness, filename: string): Promise<number> {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_ADMIN_CREDENTIALS, endpoint: harness.cloud.dynamodbEndpoint }),
  );
  try {
    const { Count = 0 } = await client.send(
      new QueryCommand({
        TableName: harness.cloud.table,
        IndexName: 'filename-index',
        KeyConditionExpression: 'filename = :filename',
        ExpressionAttributeValues: { ':filename': filename },
        Select: 'COUNT',
      }),
    );
    return Count;
  } finally {
    client.destroy();
  }
}

/** How many times any execution of this video started a transcode task (retries within one execution count). */
export function transcodeAttempts(executions: readonly ExecutionRecord[]): number {
  const transcode = executions.flatMap((execution) => execution.trace).filter((entry) => entry.state === 'Transcode');
  return transcode.filter((entry) => entry.type === 'StateEntered' || entry.type === 'StateRetried').length;
}

/**
 * The checks every workflow test ends with: the status (and code), the source kept, temp/ empty, exactly
 * the outputs a saved video has (or none), one record, and no execution beyond the first that did any work.
 */
export async function expectCleanEnd(
  harness: Harness,
  video: SubmittedVideo,
  final: PublicVideo,
  expected: { status: 'saved' } | { status: 'failed'; code: string },
): Promise<ExecutionRecord[]> {
  expect(final.status).toBe(expected.status);
  if (expected.status === 'failed') {
    expect(final.error?.code).toBe(expected.code);
    expect(final.error?.message).toBeTruthy();
    // Neither the presigned URL ffmpeg reads from nor the subtitle URL's query may reach the user.
    expect(final.error?.message).not.toMatch(/X-Amz-|https?:\/\/\S+\?/);
  } else {
    expect(final.error).toBeUndefined();
  }
  expect(await objectExists(harness, video.sourceKey), 'the source upload is kept').toBe(true);
  const executions = await executionsOf(harness, video);
  expect(await keysUnder(harness, `temp/${video.id}/`), 'temp/ is empty').toEqual([]);
  expect(await keysUnder(harness, `videos/${video.id}/`)).toEqual(
    expected.status === 'saved'
      ? [`videos/${video.id}/subtitles.srt`, `videos/${video.id}/subtitles.vtt`, `videos/${video.id}/video.mp4`]
      : [],
  );
  expect(await recordsNamed(harness, video.filename), 'one record').toBe(1);
  const duplicate = (execution: ExecutionRecord) => execution.trace.some((entry) => entry.state === 'IgnoreDuplicateUpload');
  expect(executions.filter((execution) => !duplicate(execution)), 'one execution did the work').toHaveLength(1);
  const event = await harness.cloud.events.waitFor((candidate) => (candidate.detail as { video_id?: string }).video_id === video.id, 5_000);
  expect(event['detail-type']).toBe(expected.status === 'saved' ? 'VideoSaved' : 'VideoFailed');
  return executions;
}

/**
 * An ffmpeg in front of the real one that misbehaves for the videos a test names, like a worker crashing or
 * a decoder hanging would. The worker runs it as FFMPEG_PATH; the video id is in the work dir it writes to.
 * Faults: `hang` (no progress, ever); `kill-worker-once` (SIGKILL the worker as soon as ffmpeg reports
 * progress, so mid-encode; the next attempt runs normally); `kill-worker` (the same, every attempt);
 * `hold-progress` (ffmpeg reads at twice real time, so it reports progress mid-encode, and the first report
 * past the start is the last the worker sees until the test calls `release`).
 */
export async function faultyFfmpeg(): Promise<{
  path: string;
  inject(videoId: string, fault: 'hang' | 'kill-worker-once' | 'kill-worker' | 'hold-progress'): Promise<void>;
  /** Lets a `hold-progress` encode go on; only once its held report has been seen. */
  release(videoId: string): Promise<void>;
  remove(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'vidp-faulty-ffmpeg-'));
  const faultsDir = join(dir, 'faults');
  await mkdir(faultsDir);
  const path = join(dir, 'faulty-ffmpeg.sh');
  await writeFile(
    path,
    [
      '#!/bin/sh',
      'for arg in "$@"; do last="$arg"; done',
      // <WORK_DIR>/vidp-<video id>-XXXXXX/output.mp4
      'id=$(basename "$(dirname "$last")" | sed -e "s/^vidp-//" -e "s/-[^-]*$//")',
      `fault_file="${faultsDir}/$id"`,
      'fault=""',
      '[ -f "$fault_file" ] && fault=$(cat "$fault_file")',
      // ffmpeg in the background, its -progress blocks (stdout) in the fifo $progress instead of the worker's pipe.
      'start_encoder() {',
      '  progress="$fault_file.progress.$$"; mkfifo "$progress"',
      '  ffmpeg "$@" > "$progress" & encoder=$!',
      '}',
      // The first progress block says ffmpeg is encoding: the worker (this script's parent) dies then.
      'kill_worker_mid_encode() {',
      '  start_encoder "$@"',
      '  grep -q -m1 "^progress=" < "$progress"',
      '  kill -9 $PPID; kill -9 $encoder; rm -f "$progress"; exit 1',
      '}',
      'hold_progress() {',
      '  release="$fault_file.release"; mkfifo "$release"',
      '  start_encoder -readrate 2 "$@"',
      '  moving=""; held=""',
      '  while IFS= read -r line; do',
      '    printf "%s\\n" "$line"',
      '    case "$line" in',
      '      out_time_us=[1-9]*) moving=1 ;;',
      '      progress=continue) if [ -n "$moving" ] && [ -z "$held" ]; then held=1; read -r _ < "$release"; fi ;;',
      '    esac',
      '  done < "$progress"',
      '  wait $encoder; code=$?',
      '  rm -f "$progress" "$release"; exit $code',
      '}',
      'case "$fault" in',
      '  hang) exec sleep 600 ;;',
      '  kill-worker-once) rm -f "$fault_file"; kill_worker_mid_encode "$@" ;;',
      '  kill-worker) kill_worker_mid_encode "$@" ;;',
      '  hold-progress) rm -f "$fault_file"; hold_progress "$@" ;;',
      'esac',
      'exec ffmpeg "$@"',
      '',
    ].join('\n'),
  );
  await chmod(path, 0o755);
  return {
    path,
    inject: (videoId, fault) => writeFile(join(faultsDir, videoId), fault),
    // Opening the fifo for writing waits for the held script to read it.
    release: (videoId) => writeFile(join(faultsDir, `${videoId}.release`), 'go\n'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * A harness whose worker runs ffmpeg behind faultyFfmpeg's wrapper (with `workerEnv` on top), a clip of
 * `clipSeconds` and one cue: what the workflow tests of a misbehaving worker start from.
 */
export async function startFaultyWorkerHarness(options: {
  workerEnv: Record<string, string>;
  clip: { seconds: number; width: number; height: number; keyframeEverySeconds?: number };
  /** More of the cloud's options (e.g. fargateSpot). */
  cloud?: Omit<LocalCloudOptions, 'port' | 'logger' | 'workerEnv'>;
}) {
  const faults = await faultyFfmpeg();
  const harness = await startHarness({ ...options.cloud, workerEnv: { FFMPEG_PATH: faults.path, PROGRESS_INTERVAL_SECONDS: '0', ...options.workerEnv } });
  return {
    harness,
    faults,
    clip: await sampleClip(harness, 'clip.mp4', options.clip),
    subtitles: await writeTemp(harness, 'one.srt', ONE_CUE_SRT),
    async stop() {
      await harness.stop();
      await faults.remove();
    },
  };
}
