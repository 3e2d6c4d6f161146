import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateMultipartUploadCommand, GetObjectCommand, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PIPELINE_ERRORS } from '../../functions/core/errors.ts';
import { stopOnSigterm } from '../../containers/ffmpeg/src/interruption.ts';
import {
  aJob,
  arrangeCloud,
  dynamoMock,
  reportedFailure,
  reportedOutput,
  runJob,
  s3Mock,
  sfnMock,
  uploaded,
  type JobRun,
} from '../support/transcode-job.ts';

/**
 * runTranscodeJob from the first download to the last report, with stand-ins for ffmpeg and ffprobe: shell
 * scripts that print what the real ones print. What the real ones make of real media is in
 * test/integration/worker-ffmpeg.test.ts.
 */
const scratch = mkdtempSync(join(tmpdir(), 'vidp-job-'));
const SOURCE = '/media/source.mp4';
const SIGNED_SOURCE = 'https://media.s3.eu-west-1.amazonaws.com/uploads/video-1/source.mp4?X-Amz-Signature=secret';
const FAKE_MP4 = 'the encoded video';

const probeJson = (width: number, height: number, seconds: number, streams: 'video+audio' | 'audio' = 'video+audio') =>
  JSON.stringify({
    streams: [
      ...(streams === 'audio' ? [] : [{ codec_type: 'video', codec_name: 'h264', width, height, r_frame_rate: '25/1', avg_frame_rate: '25/1' }]),
      { codec_type: 'audio', codec_name: 'aac' },
    ],
    format: { duration: String(seconds) },
  });

/** Writes an executable sh script; `last` in it is the command's last argument (ffmpeg's output, ffprobe's input). */
function script(name: string, body: string): string {
  const path = join(scratch, name);
  writeFileSync(path, `#!/bin/sh\nfor arg in "$@"; do last="$arg"; done\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const fake = {
  /** A 640x480 source of 2 s with sound; the output ffmpeg made of it is 480x360. */
  ffprobe: script(
    'ffprobe.sh',
    `case "$last" in */output.mp4) echo '${probeJson(480, 360, 2)}' ;; *) echo '${probeJson(640, 480, 2)}' ;; esac`,
  ),
  ffprobeOfShortOutput: script(
    'ffprobe-short-output.sh',
    `case "$last" in */output.mp4) echo '${probeJson(480, 360, 2)}' ;; *) echo '${probeJson(640, 480, 4)}' ;; esac`,
  ),
  ffprobeOfAudio: script('ffprobe-audio.sh', `echo '${probeJson(0, 0, 2, 'audio')}'`),
  /** What ffprobe prints for a file it cannot read: the location, then why. */
  ffprobeUnreadable: script('ffprobe-unreadable.sh', 'echo "$last: Invalid data found when processing input" >&2; echo "{}"; exit 1'),
  /** Half way, then the end: two -progress blocks around the output file. */
  ffmpeg: script(
    'ffmpeg.sh',
    `printf 'out_time_us=1000000\\nprogress=continue\\n'; printf '${FAKE_MP4}' > "$last"; printf 'out_time_us=2000000\\nprogress=end\\n'`,
  ),
  ffmpegWithoutAGlyph: script(
    'ffmpeg-missing-glyph.sh',
    `echo '[Parsed_subtitles_2 @ 0x56] fontselect: failed to find any fallback with glyph 0x4E2D for font: (DejaVu Sans, 400, 0)' >&2
printf '${FAKE_MP4}' > "$last"; printf 'out_time_us=2000000\\nprogress=end\\n'`,
  ),
  /** libass finds no font, and ffmpeg would go on encoding a video without subtitles. */
  ffmpegWithoutFonts: script(
    'ffmpeg-no-font.sh',
    `echo '[Parsed_subtitles_2 @ 0x56] fontselect: failed to find any fallback with glyph 0x0 for font: (No Such Font, 400, 0)' >&2; exec sleep 30`,
  ),
  ffmpegFailing: script('ffmpeg-failing.sh', 'echo "[libx264 @ 0x55d0] malloc of size 8294400 failed" >&2; exit 1'),
  ffmpegHanging: script('ffmpeg-hanging.sh', 'exec sleep 30'),
  ffmpegHangingMidEncode: script('ffmpeg-hanging-mid-encode.sh', `printf 'out_time_us=1000000\\nprogress=continue\\n'; exec sleep 30`),
};

const subtitles = join(scratch, 'subtitles.srt');
const lateCues = join(scratch, 'late-cues.srt');
const emptyFontsDir = join(scratch, 'no-fonts');

beforeAll(() => {
  writeFileSync(subtitles, '1\n00:00:00,000 --> 00:00:02,000\nHello from vidp\n');
  writeFileSync(lateCues, '1\n00:00:00,500 --> 00:00:01,500\nIn time\n\n2\n00:00:05,000 --> 00:00:06,000\nAfter the end\n');
  mkdirSync(emptyFontsDir);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(overrides: Parameters<typeof runJob>[2] = {}, source = SOURCE): Promise<JobRun> {
  return runJob(scratch, source, { ...overrides, deps: { ffmpegPath: fake.ffmpeg, ffprobePath: fake.ffprobe, ...overrides.deps } });
}

const progressWrites = () =>
  dynamoMock
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input.ExpressionAttributeValues?.[':progress'])
    .filter((progress) => progress !== undefined);

describe('a job that succeeds', () => {
  let result: JobRun;
  const metrics = { saved: vi.fn() };
  beforeAll(async () => {
    arrangeCloud(subtitles);
    result = await run({
      job: { executionId: 'arn:aws:states:eu-west-1:1:execution:vidp:e-1' },
      deps: { metrics, taskArn: async () => 'arn:aws:ecs:eu-west-1:1:task/vidp/0123456789abcdef0123456789abcdef' },
    });
  });

  it('names its ECS task on the video as it starts, for its execution only, so DELETE can stop it at once', () => {
    const recorded = dynamoMock
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .find((input) => input.ExpressionAttributeNames?.['#task'] === 'transcode_task_arn');
    expect(recorded).toMatchObject({
      Key: { id: 'video-1' },
      ConditionExpression: '#status IN (:queued, :processing) AND #execution = :execution',
      ExpressionAttributeValues: {
        ':task': 'arn:aws:ecs:eu-west-1:1:task/vidp/0123456789abcdef0123456789abcdef',
        ':execution': 'arn:aws:states:eu-west-1:1:execution:vidp:e-1',
      },
    });
  });

  it('reports success with the task token, once', () => {
    expect(result.outcome).toBe('succeeded');
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: aJob.taskToken });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskFailureCommand);
  });

  it('reports the output as ffprobe sees it, its size in bytes, where it is and how long each step took', () => {
    const output = reportedOutput();

    expect(output).toMatchObject({
      duration: 2,
      width: 480,
      height: 360,
      resolution: '480x360',
      file_size: FAKE_MP4.length,
      s3_uri: 's3://media/videos/video-1/video.mp4',
      output_key: 'videos/video-1/video.mp4',
    });
    expect(Object.values(output.timings).every((ms) => Number.isInteger(ms) && ms >= 0)).toBe(true);
    expect(output.timings.total_ms).toBeGreaterThanOrEqual(output.timings.encode_ms);
  });

  it('counts the saved video once it is reported, with its encoding time and the output\'s duration', () => {
    const output = reportedOutput();
    expect(metrics.saved).toHaveBeenCalledTimes(1);
    expect(metrics.saved).toHaveBeenCalledWith({ encodeSeconds: output.timings.encode_ms / 1000, outputSeconds: output.duration });
  });

  it('uploads what ffmpeg wrote to the output key as an MP4', () => {
    const video = uploaded('videos/video-1/video.mp4');

    expect(video?.contentType).toBe('video/mp4');
    expect(Buffer.from(video?.body as Uint8Array).toString()).toBe(FAKE_MP4);
  });

  it('uploads the subtitles as SRT and WebVTT sidecars next to the MP4, and reports them', () => {
    expect(uploaded('videos/video-1/subtitles.srt')).toEqual({
      body: '1\n00:00:00,000 --> 00:00:02,000\nHello from vidp\n',
      contentType: 'application/x-subrip; charset=utf-8',
    });
    expect(uploaded('videos/video-1/subtitles.vtt')).toEqual({
      body: 'WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello from vidp\n',
      contentType: 'text/vtt; charset=utf-8',
    });
    expect(reportedOutput()).toMatchObject({
      subtitle_files: { srt: 's3://media/videos/video-1/subtitles.srt', vtt: 's3://media/videos/video-1/subtitles.vtt' },
      cue_count: 1,
    });
  });

  it('sends heartbeats with the task token', () => {
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskHeartbeatCommand, { taskToken: aJob.taskToken });
  });

  it('writes the progress ffmpeg reports to the video record, ending at 100', () => {
    expect(dynamoMock).toHaveReceivedCommandWith(UpdateCommand, { TableName: 'videos', Key: { id: 'video-1' } });
    expect(progressWrites()).toEqual([50, 100]);
    expect(result.logs).toContainEqual(expect.objectContaining({ level: 'INFO', message: 'transcode progress', videoId: 'video-1' }));
  });

  it('removes its work directory', () => {
    expect(readdirSync(result.workDir)).toEqual([]);
  });

  it('reports an estimate of what the Fargate task cost, at the default task size', () => {
    expect(reportedOutput().cost).toMatchObject({ vcpu: 2, memory_gb: 4, billed_seconds: expect.any(Number) });
    expect(reportedOutput().cost.estimated_usd).toBeGreaterThan(0);
  });
});

describe('a job that succeeds with something to say', () => {
  it('drops the cues that start after the end, from the burn-in and the sidecars, and notes it on the record', async () => {
    arrangeCloud(lateCues);

    const { outcome } = await run();

    expect(outcome).toBe('succeeded');
    expect(uploaded('videos/video-1/subtitles.srt')?.body).toBe('1\n00:00:00,500 --> 00:00:01,500\nIn time\n');
    expect(dynamoMock).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':warnings': ['1 cue(s) start after the video ends and were dropped'] }),
    });
  });

  it('notes on the record the characters no installed font could draw', async () => {
    arrangeCloud(subtitles);

    const { outcome } = await run({ deps: { ffmpegPath: fake.ffmpegWithoutAGlyph } });

    expect(outcome).toBe('succeeded');
    expect(dynamoMock).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({
        ':warnings': ['1 subtitle characters have no glyph in the available fonts and are drawn as empty boxes: U+4E2D'],
      }),
    });
  });

  it('checks the cues against the fonts before encoding, and says how many characters, which scripts and which cues', async () => {
    arrangeCloud(subtitles);
    const nothing = { has: () => false };

    const { outcome } = await run({ deps: { ffmpegPath: fake.ffmpegWithoutAGlyph, fontCoverage: async () => nothing } });

    expect(outcome).toBe('succeeded');
    const call = dynamoMock.commandCalls(UpdateCommand).find((candidate) => candidate.args[0].input.ExpressionAttributeValues?.[':warnings']);
    const warnings = call?.args[0].input.ExpressionAttributeValues?.[':warnings'] as string[];
    // One warning: libass' own line about the same characters is not repeated.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^\d+ distinct subtitle characters \(\d+ in all\) have no glyph in the worker's fonts and are drawn as empty boxes — scripts: Latin \d+.*; in 1 cue: #1 at 00:00:00\.000/);
  });

  it('fails the job as missing_glyphs before encoding when the job asks for it', async () => {
    arrangeCloud(subtitles);
    const nothing = { has: () => false };

    const { outcome } = await run({ job: { missingGlyphs: 'fail' }, deps: { ffmpegPath: fake.ffmpegFailing, fontCoverage: async () => nothing } });

    expect(outcome).toBe('failed');
    expect(reportedFailure()).toMatchObject({ error: 'MissingGlyphsError', cause: { code: 'missing_glyphs' } });
  });
});

describe('failures reported to Step Functions', () => {
  it('stops an encode that makes no progress and reports it as a timeout, which is not retried', async () => {
    arrangeCloud(subtitles);

    const startedAt = Date.now();
    const { outcome, workDir } = await run({ deps: { ffmpegPath: fake.ffmpegHanging, stallTimeoutMs: 300 } });

    expect(outcome).toBe('failed');
    expect(reportedFailure()).toMatchObject({
      error: 'TranscodeTimeoutError',
      cause: { code: 'timeout', message: 'Encoding made no progress for 0.3 s and was stopped' },
    });
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(readdirSync(workDir)).toEqual([]);
  });

  it("reports InputInvalidError with ffprobe's reason for a file it cannot read, naming no signed URL", async () => {
    arrangeCloud(subtitles);

    const { outcome, logs } = await run({ deps: { ffprobePath: fake.ffprobeUnreadable } }, SIGNED_SOURCE);

    expect(outcome).toBe('failed');
    expect(reportedFailure()).toEqual({
      error: 'InputInvalidError',
      cause: { code: 'input_invalid', message: 'The uploaded file could not be read as a video (Invalid data found when processing input)' },
    });
    expect(JSON.stringify(logs)).not.toContain('X-Amz-Signature');
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it.each([
    ['a file with no video stream', fake.ffprobeOfAudio, 'The uploaded file has no video stream'],
    ['an output clearly shorter than the source declares', fake.ffprobeOfShortOutput, 'The uploaded video is truncated: it holds 0:02 of the 0:04 it declares'],
  ])('reports InputInvalidError, and uploads nothing, for %s', async (_what, ffprobePath, message) => {
    arrangeCloud(subtitles);

    await run({ deps: { ffprobePath } });

    expect(reportedFailure()).toMatchObject({ error: 'InputInvalidError', cause: { code: 'input_invalid', message } });
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('reports WorkerMisconfiguredError before downloading anything when the fonts dir has no font', async () => {
    arrangeCloud(subtitles);

    const { outcome } = await run({ job: { fontsDir: emptyFontsDir } });

    expect(outcome).toBe('failed');
    expect(reportedFailure()).toMatchObject({ error: 'WorkerMisconfiguredError', cause: { code: 'worker_misconfigured' } });
    expect(s3Mock).not.toHaveReceivedCommand(GetObjectCommand);
  });

  it('stops ffmpeg at once and reports WorkerMisconfiguredError when libass finds no font, instead of shipping a video without subtitles', async () => {
    arrangeCloud(subtitles);

    const startedAt = Date.now();
    const { outcome, logs } = await run({ deps: { ffmpegPath: fake.ffmpegWithoutFonts } });

    expect(outcome).toBe('failed');
    expect(reportedFailure()).toMatchObject({ error: 'WorkerMisconfiguredError', cause: { code: 'worker_misconfigured' } });
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'ERROR', font: '(No Such Font, 400, 0)' }));
  });

  it('refuses, before ffmpeg runs, an output that may not fit on the task\'s disk, saying what to change', async () => {
    arrangeCloud(subtitles);
    const ffmpegRan = join(scratch, 'ffmpeg-ran');
    const ffmpegThatLeavesATrace = script('ffmpeg-trace.sh', `touch '${ffmpegRan}'; exit 1`);

    const { outcome } = await run({ deps: { ffmpegPath: ffmpegThatLeavesATrace, freeDiskBytes: async () => 10_000 } });

    expect(outcome).toBe('failed');
    expect(reportedFailure()).toMatchObject({
      error: 'OutputTooLargeError',
      cause: { code: 'output_too_large', message: expect.stringMatching(/^At CRF 30, 480x360 for 2 s may need up to \d+ MB, more than the 1 MB the worker has: choose a higher CRF/) },
    });
    expect(readdirSync(scratch)).not.toContain('ffmpeg-ran');
  });

  it('reports TranscodeFailedError when ffmpeg fails, with its stderr in the log only', async () => {
    arrangeCloud(subtitles);

    const { outcome, logs } = await run({ deps: { ffmpegPath: fake.ffmpegFailing } });

    expect(outcome).toBe('failed');
    expect(reportedFailure()).toEqual({
      error: 'TranscodeFailedError',
      cause: { code: 'transcode_failed', message: 'FFmpeg failed with exit code 1' },
    });
    expect(logs).toContainEqual(
      expect.objectContaining({ message: 'ffmpeg failed', stderr: ['[libx264 @ 0x55d0] malloc of size 8294400 failed'] }),
    );
  });

  it.each(['ffmpeg', 'ffprobe'] as const)('reports WorkerMisconfiguredError when %s is not installed', async (tool) => {
    arrangeCloud(subtitles);

    await run({ deps: { [`${tool}Path`]: join(scratch, `no-such-${tool}`) } });

    expect(reportedFailure()).toMatchObject({
      error: 'WorkerMisconfiguredError',
      cause: { code: 'worker_misconfigured', message: expect.stringContaining(`${tool} could not be started`) },
    });
  });

  it('reports StorageUnavailableError, which the workflow retries, when S3 answers 5xx', async () => {
    arrangeCloud(subtitles);
    s3Mock.on(GetObjectCommand).rejects(
      new S3ServiceException({ name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'We encountered an internal error' }),
    );

    await run();

    expect(reportedFailure()).toMatchObject({ error: 'StorageUnavailableError', cause: { code: 'storage_unavailable' } });
  });

  it('reports an unexpected error as a generic InternalError', async () => {
    arrangeCloud(subtitles);
    s3Mock.on(GetObjectCommand).rejects(new TypeError('Cannot read properties of undefined'));

    await run();

    expect(reportedFailure()).toEqual({
      error: 'InternalError',
      cause: { code: 'internal_error', message: 'The video could not be processed because of an internal error' },
    });
  });
});

describe('a task nobody waits for any more', () => {
  const taskTimedOut = () => new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} });

  it('stops the encode and reports nothing once a heartbeat says the task timed out', async () => {
    arrangeCloud(subtitles);
    sfnMock.on(SendTaskHeartbeatCommand).rejects(taskTimedOut());

    const { outcome, workDir } = await run({ deps: { ffmpegPath: fake.ffmpegHanging } });

    expect(outcome).toBe('abandoned');
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskFailureCommand);
    expect(readdirSync(workDir)).toEqual([]);
  });

  it('uploads nothing when the task is gone by the time the encode ends, even between periodic heartbeats', async () => {
    arrangeCloud(subtitles);
    // The execution was stopped (its video deleted) during the encode; no periodic beat is due before the upload.
    sfnMock.on(SendTaskHeartbeatCommand).rejects(taskTimedOut());

    const { outcome } = await run({ deps: { heartbeatIntervalMs: 3_600_000 } });

    expect(outcome).toBe('abandoned');
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskHeartbeatCommand, 1);
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(s3Mock).not.toHaveReceivedCommand(CreateMultipartUploadCommand);
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('stops ffmpeg mid-encode, cleans up and reports nothing when the process is told to stop', async () => {
    arrangeCloud(subtitles);
    const stop = new AbortController();
    // The first progress write proves ffmpeg is encoding: stop then, as SIGTERM from ECS StopTask would.
    dynamoMock.on(UpdateCommand).callsFake(() => {
      stop.abort(new Error('SIGTERM received'));
      return {};
    });

    const { outcome, workDir } = await run({ deps: { ffmpegPath: fake.ffmpegHangingMidEncode, signal: stop.signal } });

    expect(outcome).toBe('abandoned');
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskFailureCommand);
    expect(readdirSync(workDir)).toEqual([]);
  });
});

describe('a task interrupted (SIGTERM: a Fargate Spot interruption or ECS StopTask)', () => {
  /** Stops the job as worker.ts does on SIGTERM, at the first progress write (ffmpeg is encoding). */
  function interruptMidEncode(): AbortSignal {
    const sigterm = new EventEmitter();
    const signal = stopOnSigterm(sigterm as unknown as NodeJS.Process, 'FARGATE_SPOT', { warn: () => undefined });
    dynamoMock.on(UpdateCommand).callsFake(() => {
      sigterm.emit('SIGTERM');
      return {};
    });
    return signal;
  }

  it('stops ffmpeg, uploads nothing and reports a retryable TaskInterruptedError', async () => {
    arrangeCloud(subtitles);
    const signal = interruptMidEncode();

    const { outcome, workDir } = await run({ deps: { ffmpegPath: fake.ffmpegHangingMidEncode, signal } });

    expect(outcome).toBe('failed');
    expect(reportedFailure()).toEqual({
      error: 'TaskInterruptedError',
      cause: { code: 'task_interrupted', message: expect.stringMatching(/Fargate Spot task was interrupted/) },
    });
    expect(PIPELINE_ERRORS.find(({ error }) => new error('').name === 'TaskInterruptedError')?.retried).toBe(true);
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(readdirSync(workDir)).toEqual([]);
  });

  it('changes nothing when nobody waits any more (a DELETE stopped the execution before the task)', async () => {
    arrangeCloud(subtitles);
    sfnMock.on(SendTaskFailureCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    const signal = interruptMidEncode();

    const { outcome } = await run({ deps: { ffmpegPath: fake.ffmpegHangingMidEncode, signal } });

    expect(outcome).toBe('abandoned');
    expect(sfnMock).toHaveReceivedCommandTimes(SendTaskFailureCommand, 1);
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });
});
