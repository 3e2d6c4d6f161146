import { createReadStream, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { runTranscodeJob, type JobOutcome, type TranscodeJob, type WorkerDeps } from '../../containers/ffmpeg/src/job.ts';
import { createLogger } from '../../functions/core/log.ts';
import { TranscodeOutputSchema, type TranscodeOutput } from '../../functions/core/transcode-output.ts';
import { createVideoRepository } from '../../functions/core/video-repository.ts';
import { RESOLUTION_PRESETS } from '../../functions/core/video.ts';

/**
 * One transcode job run the way the Fargate task runs it, against AWS clients mocked with
 * aws-sdk-client-mock that answer like AWS: S3 serves the prepared subtitles and takes every upload,
 * Step Functions and DynamoDB accept every call. What ffmpeg and ffprobe are is up to the test.
 */
export const s3Mock = mockClient(S3Client);
export const sfnMock = mockClient(SFNClient);
export const dynamoMock = mockClient(DynamoDBDocumentClient);

export const SYSTEM_FONTS_DIR = '/usr/share/fonts/truetype/dejavu';

export const aJob: TranscodeJob = {
  videoId: 'video-1',
  taskToken: 'task-token-1',
  bucket: 'media',
  sourceKey: 'uploads/video-1/source.mp4',
  sourceEtag: 'c0ffee0123456789c0ffee0123456789',
  subtitlesKey: 'temp/video-1/subtitles.srt',
  box: RESOLUTION_PRESETS['360p'],
  crf: 30,
  preset: 'ultrafast',
  fontsDir: SYSTEM_FONTS_DIR,
  fontName: 'DejaVu Sans',
};

/** Resets the mocks; S3 then serves `subtitlesFile` as the job's prepared subtitles. */
export function arrangeCloud(subtitlesFile: string): void {
  s3Mock.reset();
  sfnMock.reset();
  dynamoMock.reset();
  s3Mock
    .on(GetObjectCommand, { Bucket: aJob.bucket, Key: aJob.subtitlesKey })
    .callsFake(() => ({ Body: createReadStream(subtitlesFile) }));
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"etag"' });
  sfnMock.resolves({});
  dynamoMock.on(UpdateCommand).resolves({});
}

export interface JobRun {
  outcome: JobOutcome;
  logs: Record<string, unknown>[];
  /** The parent of the job's work dir: empty again once the job is over. */
  workDir: string;
}

/**
 * Runs `aJob` (with `overrides`) to its end. ffmpeg reads `source` as it is: what the presigned URL of
 * production would be (presignedSourceLocator has tests of its own).
 */
export async function runJob(
  scratchDir: string,
  source: string,
  overrides: { job?: Partial<TranscodeJob>; deps?: Partial<WorkerDeps> } = {},
): Promise<JobRun> {
  const logs: Record<string, unknown>[] = [];
  const workDir = mkdtempSync(join(scratchDir, 'work-'));
  const region = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const outcome = await runTranscodeJob(
    { ...aJob, ...overrides.job },
    {
      s3: new S3Client(region),
      sfn: new SFNClient(region),
      videos: createVideoRepository(DynamoDBDocumentClient.from(new DynamoDBClient(region)), 'videos'),
      logger: createLogger({ videoId: aJob.videoId }, (line) => logs.push(JSON.parse(line) as Record<string, unknown>)),
      ffmpegPath: 'ffmpeg',
      ffprobePath: 'ffprobe',
      workDir,
      heartbeatIntervalMs: 10,
      progressIntervalMs: 0,
      locateSource: async () => source,
      ...overrides.deps,
    },
  );
  return { outcome, logs, workDir };
}

export function reportedOutput(): TranscodeOutput {
  const [call] = sfnMock.commandCalls(SendTaskSuccessCommand);
  if (call === undefined) throw new Error('SendTaskSuccess was not sent');
  return TranscodeOutputSchema.parse(JSON.parse(call.args[0].input.output ?? 'null'));
}

export function reportedFailure(): { error?: string; cause: { code: string; message: string } } {
  const [call] = sfnMock.commandCalls(SendTaskFailureCommand);
  if (call === undefined) throw new Error('SendTaskFailure was not sent');
  const { error, cause } = call.args[0].input;
  return { error, cause: JSON.parse(cause ?? '{}') as { code: string; message: string } };
}

/** What the job uploaded to `key` (lib-storage sends a small file as one PutObject). */
export function uploaded(key: string): { body: unknown; contentType: string | undefined } | undefined {
  const call = s3Mock.commandCalls(PutObjectCommand).find((candidate) => candidate.args[0].input.Key === key);
  return call && { body: call.args[0].input.Body, contentType: call.args[0].input.ContentType };
}
