import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, createReadStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runTranscodeJob, type JobOutcome, type TranscodeJob, type WorkerDeps } from '../../containers/ffmpeg/src/job.ts';
import { presignedSourceLocator } from '../../containers/ffmpeg/src/media-storage.ts';
import { createLogger } from '../../functions/core/log.ts';
import { createVideoRepository } from '../../functions/core/video-repository.ts';
import { TranscodeOutputSchema } from '../../functions/core/transcode-output.ts';
import { RESOLUTION_PRESETS } from '../../functions/core/video.ts';


const s3Mock = mockClient(S3Client);
const sfnMock = mockClient(SFNClient);
const dynamoMock = mockClient(DynamoDBDocumentClient);

const SYSTEM_FONTS_DIR = '/usr/share/fonts/truetype/dejavu';
const fixtures = mkdtempSync(join(tmpdir(), 'vidp-worker-fixtures-'));
const files = {
  /** Black picture, so any bright pixel in the output comes from the burnt-in subtitles. */
  clip: join(fixtures, 'clip.mp4'),
  subtitles: join(fixtures, 'subtitles.srt'),
  textFile: join(fixtures, 'not-a-video.mp4'),
  emptyFontsDir: join(fixtures, 'no-fonts'),
  fontOnlyDir: join(fixtures, 'only-dejavu'),
  emptyFontconfig: join(fixtures, 'empty-fonts.conf'),
  failingFfmpeg: join(fixtures, 'failing-ffmpeg.sh'),
  hangingFfmpeg: join(fixtures, 'hanging-ffmpeg.sh'),
  /** The first half of a fast-start MP4: its index promises 2 s, its data stops after about one. */
  truncated: join(fixtures, 'truncated.mp4'),
  lateCues: join(fixtures, 'late-cues.srt'),
};

beforeAll(() => {
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'],
    ...['-f', 'lavfi', '-i', 'color=c=black:size=640x480:rate=25:duration=2'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'],
    files.clip,
  ]);
  writeFileSync(files.subtitles, '1\n00:00:00,000 --> 00:00:02,000\nHello from vidp\n');
  writeFileSync(files.textFile, 'This is a text file with a video extension.\n');
  mkdirSync(files.emptyFontsDir);
  mkdirSync(files.fontOnlyDir);
  copyFileSync(join(SYSTEM_FONTS_DIR, 'DejaVuSans.ttf'), join(files.fontOnlyDir, 'DejaVuSans.ttf'));
  // A fontconfig that knows no fonts: what a container without fonts looks like to libass.
  writeFileSync(
    files.emptyFontconfig,
    `<?xml version="1.0"?><fontconfig><dir>${files.emptyFontsDir}</dir><cachedir>${join(fixtures, 'fc-cache')}</cachedir></fontconfig>`,
  );
  writeFileSync(files.failingFfmpeg, '#!/bin/sh\necho "[libx264 @ 0x55d0] malloc of size 8294400 failed" >&2\nexit 1\n');
  chmodSync(files.failingFfmpeg, 0o755);
  writeFileSync(files.hangingFfmpeg, '#!/bin/sh\nexec sleep 30\n');
  chmodSync(files.hangingFfmpeg, 0o755);
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-i', files.clip],
    ...['-c', 'copy', '-movflags', '+faststart', join(fixtures, 'faststart.mp4')],
  ]);
  const whole = readFileSync(join(fixtures, 'faststart.mp4'));
  writeFileSync(files.truncated, whole.subarray(0, Math.floor(whole.length / 2)));
  writeFileSync(files.lateCues, '1\n00:00:00,500 --> 00:00:01,500\nIn time\n\n2\n00:00:05,000 --> 00:00:06,000\nAfter the end\n');
});

afterAll(() => rmSync(fixtures, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

const job: TranscodeJob = {
  videoId: 'video-1',
  taskToken: 'task-token-1',
  bucket: 'media',
  sourceKey: 'uploads/video-1/source.mp4',
  subtitlesKey: 'temp/video-1/subtitles.srt',
  box: RESOLUTION_PRESETS['360p'],
  crf: 30,
  preset: 'ultrafast',
  fontsDir: SYSTEM_FONTS_DIR,
  fontName: 'DejaVu Sans',
};

/** The file ffmpeg reads as the source in the next job. */
let sourceFile: string = files.clip;

/** Mocks that answer like AWS: S3 serves the subtitles, everything else succeeds; ffmpeg reads `source`. */
function arrangeCloud(source: string = files.clip, subtitles: string = files.subtitles): void {
  s3Mock.reset();
  sfnMock.reset();
  dynamoMock.reset();
  sourceFile = source;
  s3Mock
    .on(GetObjectCommand, { Bucket: job.bucket, Key: job.subtitlesKey })
    .callsFake(() => ({ Body: createReadStream(subtitles) }));
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"etag"' });
  sfnMock.resolves({});
  dynamoMock.on(UpdateCommand).resolves({});
}

interface Run {
  outcome: JobOutcome;
  logs: Record<string, unknown>[];
  workDir: string;
}

async function runJob(overrides: { job?: Partial<TranscodeJob>; deps?: Partial<WorkerDeps> } = {}): Promise<Run> {
  const logs: Record<string, unknown>[] = [];
  const workDir = mkdtempSync(join(fixtures, 'work-'));
  const region = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const outcome = await runTranscodeJob(
    { ...job, ...overrides.job },
    {
      s3: new S3Client(region),
      sfn: new SFNClient(region),
      videos: createVideoRepository(DynamoDBDocumentClient.from(new DynamoDBClient(region)), 'videos'),
      logger: createLogger({ videoId: job.videoId }, (line) => logs.push(JSON.parse(line) as Record<string, unknown>)),
      ffmpegPath: 'ffmpeg',
      ffprobePath: 'ffprobe',
      workDir,
      heartbeatIntervalMs: 10,
      progressIntervalMs: 0,
      // ffmpeg reads the fixture file directly; presignedSourceLocator has tests of its own below.
      locateSource: async () => sourceFile,
      ...overrides.deps,
    },
  );
  return { outcome, logs, workDir };
}

function reportedFailure(): { error?: string; cause: { code: string; message: string } } {
  const [call] = sfnMock.commandCalls(SendTaskFailureCommand);
  if (call === undefined) throw new Error('SendTaskFailure was not sent');
  const { error, cause } = call.args[0].input;
  return { error, cause: JSON.parse(cause ?? '{}') as { code: string; message: string } };
}

describe('a 2-second clip with subtitles', () => {
  let run: Run;
  beforeAll(async () => {
    arrangeCloud();
    run = await runJob();
  });

  function reportedOutput() {
    const [call] = sfnMock.commandCalls(SendTaskSuccessCommand);
    return TranscodeOutputSchema.parse(JSON.parse(call?.args[0].input.output ?? 'null'));
  }

  function uploadedVideo(): string {
    const call = s3Mock.commandCalls(PutObjectCommand).find((candidate) => candidate.args[0].input.Key === 'videos/video-1/video.mp4');
    const file = join(fixtures, 'uploaded.mp4');
    writeFileSync(file, call?.args[0].input.Body as Uint8Array);
    return file;
  }

  it('reports success with the task token', () => {
    expect(run.outcome).toBe('succeeded');
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: job.taskToken });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskFailureCommand);
  });

  it('reports the output scaled into the 360p box, its size, location and timings', () => {
    const output = reportedOutput();
    const uploadedBytes = readFileSync(uploadedVideo()).byteLength;

    expect(output).toMatchObject({
      width: 480,
      height: 360,
      resolution: '480x360',
      file_size: uploadedBytes,
      s3_uri: 's3://media/videos/video-1/video.mp4',
      output_key: 'videos/video-1/video.mp4',
    });
    expect(output.duration).toBeCloseTo(2, 1);
    expect(Number.isInteger(output.duration * 1000)).toBe(true);
    expect(Object.values(output.timings).every((ms) => Number.isInteger(ms) && ms >= 0)).toBe(true);
    expect(output.timings.total_ms).toBeGreaterThanOrEqual(output.timings.encode_ms);
  });

  it('uploads an H.264/AAC MP4 to the output key', () => {
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'media',
      Key: 'videos/video-1/video.mp4',
      ContentType: 'video/mp4',
    });
    const codecs = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', uploadedVideo()], {
      encoding: 'utf8',
    });
    expect(codecs.trim().split('\n')).toEqual(['h264', 'aac']);
  });

  it('burns the subtitles into the picture', () => {
    // The source is pure black (luma 16): white text is the only thing that can brighten a frame.
    const stats = execFileSync(
      'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-ss', '1', '-i', uploadedVideo(), '-frames:v', '1'],
        ...['-vf', 'signalstats,metadata=print:key=lavfi.signalstats.YMAX:file=-', '-f', 'null', '-'],
      ],
      { encoding: 'utf8' },
    );
    const brightestLuma = Number(/YMAX=(\d+)/.exec(stats)?.[1]);
    expect(brightestLuma).toBeGreaterThan(200);
  });

  it('sends heartbeats while it works', () => {
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskHeartbeatCommand, { taskToken: job.taskToken });
  });

  it('writes progress to the video record, ending at 100', () => {
    expect(dynamoMock).toHaveReceivedCommandWith(UpdateCommand, { TableName: 'videos', Key: { id: 'video-1' } });
    const lastUpdate = dynamoMock.commandCalls(UpdateCommand).at(-1)?.args[0].input;
    expect(lastUpdate?.ExpressionAttributeValues?.[':progress']).toBe(100);
    expect(run.logs).toContainEqual(expect.objectContaining({ level: 'info', msg: 'transcode progress', videoId: 'video-1' }));
  });

  it('removes its work directory', () => {
    expect(readdirSync(run.workDir)).toEqual([]);
  });

  it('uploads the subtitles as SRT and WebVTT sidecars next to the MP4, and reports them', () => {
    const bodyOf = (key: string) => s3Mock.commandCalls(PutObjectCommand).find((call) => call.args[0].input.Key === key)?.args[0].input;
    expect(bodyOf('videos/video-1/subtitles.srt')).toMatchObject({
      Body: '1\n00:00:00,000 --> 00:00:02,000\nHello from vidp\n',
      ContentType: 'application/x-subrip; charset=utf-8',
    });
    expect(bodyOf('videos/video-1/subtitles.vtt')).toMatchObject({
      Body: 'WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello from vidp\n',
      ContentType: 'text/vtt; charset=utf-8',
    });
    expect(reportedOutput()).toMatchObject({
      subtitle_files: { srt: 's3://media/videos/video-1/subtitles.srt', vtt: 's3://media/videos/video-1/subtitles.vtt' },
      cue_count: 1,
    });
  });

  it('reports an estimate of what the Fargate task cost', () => {
    expect(reportedOutput().cost).toMatchObject({ vcpu: 2, memory_gb: 4, billed_seconds: expect.any(Number) });
    expect(reportedOutput().cost.estimated_usd).toBeGreaterThan(0);
  });
});

describe('subtitles that run past the end of the video', () => {
  it('drops the cues that start after the end, from the burn-in and the sidecars, and notes it on the record', async () => {
    arrangeCloud(files.clip, files.lateCues);

    const { outcome } = await runJob();

    expect(outcome).toBe('succeeded');
    const srt = s3Mock.commandCalls(PutObjectCommand).find((call) => call.args[0].input.Key === 'videos/video-1/subtitles.srt');
    expect(srt?.args[0].input.Body).toBe('1\n00:00:00,500 --> 00:00:01,500\nIn time\n');
    expect(dynamoMock).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':warnings': ['1 cue(s) start after the video ends and were dropped'] }),
    });
  });
});

describe('failures reported to Step Functions', () => {
  it('reports InputInvalidError for a truncated MP4 whose index promises more than it holds, and uploads nothing', async () => {
    arrangeCloud(files.truncated);

    const { outcome, workDir } = await runJob();

    expect(outcome).toBe('failed');
    expect(reportedFailure()).toMatchObject({
      error: 'InputInvalidError',
      cause: { code: 'input_invalid', message: expect.stringMatching(/^The uploaded video is damaged or truncated: it could not be decoded past 0:0\d of 0:02$/) },
    });
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(readdirSync(workDir)).toEqual([]);
  });

  it('stops an encode that makes no progress and reports it as a timeout, which is not retried', async () => {
    arrangeCloud();

    const startedAt = Date.now();
    const { outcome } = await runJob({ deps: { ffmpegPath: files.hangingFfmpeg, stallTimeoutMs: 300 } });

    expect(outcome).toBe('failed');
    expect(reportedFailure()).toMatchObject({
      error: 'TranscodeTimeoutError',
      cause: { code: 'timeout', message: 'Encoding made no progress for 0.3 s and was stopped' },
    });
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });

  it('reports InputInvalidError for a text file named .mp4', async () => {
    arrangeCloud(files.textFile);

    const { outcome, workDir } = await runJob();

    expect(outcome).toBe('failed');
    expect(reportedFailure()).toEqual({
      error: 'InputInvalidError',
      cause: {
        code: 'input_invalid',
        message: 'The uploaded file could not be read as a video (Invalid data found when processing input)',
      },
    });
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(readdirSync(workDir)).toEqual([]);
  });

  it('reports WorkerMisconfiguredError before downloading anything when the fonts dir has no font', async () => {
    arrangeCloud();

    const { outcome } = await runJob({ job: { fontsDir: files.emptyFontsDir } });

    expect(outcome).toBe('failed');
    expect(reportedFailure()).toMatchObject({ error: 'WorkerMisconfiguredError', cause: { code: 'worker_misconfigured' } });
    expect(s3Mock).not.toHaveReceivedCommand(GetObjectCommand);
  });

  it('reports WorkerMisconfiguredError when libass finds no font while ffmpeg runs, instead of shipping a video without subtitles', async () => {
    arrangeCloud();
    vi.stubEnv('FONTCONFIG_FILE', files.emptyFontconfig);

    const { outcome, logs } = await runJob({ job: { fontsDir: files.fontOnlyDir, fontName: 'No Such Font' } });

    expect(outcome).toBe('failed');
    expect(reportedFailure()).toMatchObject({ error: 'WorkerMisconfiguredError', cause: { code: 'worker_misconfigured' } });
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'error', font: '(No Such Font, 400, 0)' }));
  });

  it('reports TranscodeFailedError when ffmpeg fails, with its stderr in the log only', async () => {
    arrangeCloud();

    const { outcome, logs } = await runJob({ deps: { ffmpegPath: files.failingFfmpeg } });

    expect(outcome).toBe('failed');
    expect(reportedFailure()).toEqual({
      error: 'TranscodeFailedError',
      cause: { code: 'transcode_failed', message: 'FFmpeg failed with exit code 1' },
    });
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: 'ffmpeg failed', stderr: ['[libx264 @ 0x55d0] malloc of size 8294400 failed'] }),
    );
  });

  it('reports WorkerMisconfiguredError when ffmpeg is not installed', async () => {
    arrangeCloud();

    await runJob({ deps: { ffmpegPath: join(fixtures, 'no-such-ffmpeg') } });

    expect(reportedFailure()).toMatchObject({ error: 'WorkerMisconfiguredError', cause: { code: 'worker_misconfigured' } });
  });

  it('reports StorageUnavailableError, which the workflow retries, when S3 answers 5xx', async () => {
    arrangeCloud();
    s3Mock.on(GetObjectCommand).rejects(
      new S3ServiceException({ name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'We encountered an internal error' }),
    );

    await runJob();

    expect(reportedFailure()).toMatchObject({ error: 'StorageUnavailableError', cause: { code: 'storage_unavailable' } });
  });

  it('reports an unexpected error as a generic InternalError', async () => {
    arrangeCloud();
    s3Mock.on(GetObjectCommand).rejects(new TypeError('Cannot read properties of undefined'));

    await runJob();

    expect(reportedFailure()).toEqual({
      error: 'InternalError',
      cause: { code: 'internal_error', message: 'The video could not be processed because of an internal error' },
    });
  });
});

describe('a task nobody waits for any more', () => {
  it('stops the job and reports nothing once a heartbeat says the task timed out', async () => {
    arrangeCloud();
    sfnMock.on(SendTaskHeartbeatCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));

    const { outcome, workDir } = await runJob();

    expect(outcome).toBe('abandoned');
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskFailureCommand);
    expect(readdirSync(workDir)).toEqual([]);
  });

  it('uploads nothing when the task is gone by the time the encode ends, even between periodic heartbeats', async () => {
    arrangeCloud();
    // The execution was stopped (its video deleted) during the encode; no periodic beat is due before the upload.
    sfnMock.on(SendTaskHeartbeatCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));

    const { outcome } = await runJob({ deps: { heartbeatIntervalMs: 3_600_000 } });

    expect(outcome).toBe('abandoned');
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskHeartbeatCommand, 1);
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(s3Mock).not.toHaveReceivedCommand(CreateMultipartUploadCommand);
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('stops ffmpeg mid-encode, cleans up and reports nothing when the process is told to stop', async () => {
    arrangeCloud();
    const stop = new AbortController();
    // The first progress write proves ffmpeg is running: stop then, as SIGTERM from ECS StopTask would.
    dynamoMock.on(UpdateCommand).callsFake(() => {
      stop.abort(new Error('SIGTERM received'));
      return {};
    });

    const { outcome, workDir } = await runJob({ deps: { signal: stop.signal } });

    expect(outcome).toBe('abandoned');
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskFailureCommand);
    expect(readdirSync(workDir)).toEqual([]);
  });
});

describe('presignedSourceLocator', () => {
  const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
  const locate = presignedSourceLocator(client);
  const signal = new AbortController().signal;
  afterEach(() => s3Mock.reset());

  it('hands ffmpeg a presigned GET of the source that outlives the longest encode', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 10 });

    const url = new URL(await locate('media', 'uploads/v/source.mp4', signal));

    expect(url.pathname).toContain('uploads/v/source.mp4');
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeGreaterThan(4 * 3600);
    expect(s3Mock).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: 'media', Key: 'uploads/v/source.mp4' });
  });

  it('reports a source that is gone as InputInvalidError', async () => {
    s3Mock.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    await expect(locate('media', 'uploads/v/source.mp4', signal)).rejects.toMatchObject({ name: 'InputInvalidError' });
  });

  it('reports an empty upload as InputInvalidError without probing it', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 0 });
    await expect(locate('media', 'uploads/v/source.mp4', signal)).rejects.toMatchObject({
      name: 'InputInvalidError',
      message: 'The uploaded file is empty (0 bytes)',
    });
  });

  it('reports S3 trouble as StorageUnavailableError, which the workflow retries', async () => {
    s3Mock.on(HeadObjectCommand).rejects(
      new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'Slow down' }),
    );
    await expect(locate('media', 'uploads/v/source.mp4', signal)).rejects.toMatchObject({ name: 'StorageUnavailableError' });
  });
});
