import { randomUUID } from 'node:crypto';
import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CleanupReport } from '../../functions/core/cleanup.ts';
import { uploadWithPresignedPost } from '../../infra/dev-kit/api-client.ts';
import { synthesizeLocalIamModel } from '../../infra/local/iam/synthesized-policies.ts';
import type { SynthesisOptions } from '../../infra/local/iam/synthesize-app.ts';
import { LOCAL_ADMIN_CREDENTIALS, LOCAL_REGION } from '../../infra/local/local-resources.ts';
import type { ExecutionRecord } from '../../infra/local/stepfunctions/execution-registry.ts';
import { removeGrant } from '../infra/remove-grant.ts';
import { aVideoRecord } from '../support/video-record.ts';
import {
  expectCleanEnd,
  finalStatus,
  objectExists,
  ONE_CUE_SRT,
  sampleClip,
  startHarness,
  submitVideo,
  writeTemp,
  type Harness,
} from '../support/workflow-harness.ts';

/**
 * The local cloud enforces what the CDK app grants, role by role: the same app with one grant taken away
 * (test/infra/remove-grant.ts), synthesized and given to a local cloud, makes the local path that needs the
 * grant fail as it would on AWS — AccessDenied naming the action — and nothing else. One synthesis and one
 * cloud per set of removed grants; tiny clips.
 */
type Stateless = Parameters<NonNullable<SynthesisOptions['customizeApp']>>[0]['stateless'];

/** A describe block with a local cloud of its own, whose IAM is the CDK app's with `remove` applied. */
function withGrantsRemoved(
  title: string,
  remove: (stateless: Stateless) => void,
  tests: (harness: () => Harness, log: readonly string[]) => void,
): void {
  describe(title, () => {
    let harness: Harness;
    const log: string[] = [];
    beforeAll(async () => {
      const iam = await synthesizeLocalIamModel({ customizeApp: ({ stateless }) => remove(stateless) });
      harness = await startHarness({ iam, log: (line) => log.push(line) });
    });
    afterAll(async () => {
      await harness?.stop();
    });
    tests(() => harness, log);
  });
}

/** A tiny video through the pipeline to its failed end with `code`, checked as every workflow test checks an end: its execution. */
async function failedRun(harness: Harness, code: string): Promise<ExecutionRecord> {
  const video = await submitVideo(harness, { source: await sampleClip(harness, 'tiny.mp4'), subtitles: await writeTemp(harness, 's.srt', ONE_CUE_SRT) });
  const final = await finalStatus(harness, video);
  const [execution] = await expectCleanEnd(harness, video, final, { status: 'failed', code });
  return execution!;
}

const failureOf = (execution: ExecutionRecord, state: string) => execution.trace.find((entry) => entry.state === state && entry.type === 'StateFailed');

const functionRole = (stateless: Stateless, name: string): IRole => stateless.functions[name]!.role!;

withGrantsRemoved(
  'function roles, the cleanup role and the upload rule, each missing one grant',
  (stateless) => {
    removeGrant(functionRole(stateless, 'create-upload'), 's3:PutObject');
    removeGrant(functionRole(stateless, 'get-playback'), 's3:GetObject');
    removeGrant(functionRole(stateless, 'cleanup'), 's3:DeleteObject');
    removeGrant(stateless.workflow.stateMachine.node.findChild('EventsRole') as IRole, 'states:StartExecution');
  },
  (harness, log) => {
    it('create-upload without s3:PutObject: its presigned POST is refused 403 at upload, naming the action, and nothing is stored', async () => {
      const created = await harness().api.createVideo({ filename: 'talk.mp4', content_type: 'video/mp4', size: 10, subtitles: { source: 'upload' } });
      const source = await writeTemp(harness(), 'talk.mp4', 'ten bytes!');

      const upload = uploadWithPresignedPost(created.upload as Parameters<typeof uploadWithPresignedPost>[0], source);

      await expect(upload).rejects.toThrow(/failed: 403 .*<Code>AccessDenied<\/Code>.*vidp-create-upload-role.*s3:PutObject/s);
      expect(await objectExists(harness(), `uploads/${created.video.id}/source.mp4`)).toBe(false);
      expect((await harness().api.getVideo(created.video.id)).status).toBe('awaiting_upload');
    });

    it('get-playback without s3:GetObject: the playback URL it signs answers 403, while get-video’s still plays', async () => {
      const id = randomUUID();
      const key = `videos/${id}/video.mp4`;
      await harness().s3.send(new PutObjectCommand({ Bucket: harness().cloud.bucket, Key: key, Body: 'an mp4', ContentType: 'video/mp4' }));
      await putRecord(harness(), aVideoRecord({ id, status: 'saved', s3_uri: `s3://${harness().cloud.bucket}/${key}` }));

      const playback = (await (await fetch(`${harness().cloud.apiUrl}/videos/${id}/playback`)).json()) as { url: string };
      const refused = await fetch(playback.url);
      const viaGetVideo = await fetch((await harness().api.getVideo(id)).playback_url!);

      expect(refused.status).toBe(403);
      expect(await refused.text()).toMatch(/<Code>AccessDenied<\/Code>.*assumed-role\/vidp-get-playback-role\/vidp-get-playback.*s3:GetObject/s);
      expect(viaGetVideo.status).toBe(200);
      expect(await viaGetVideo.text()).toBe('an mp4');
    });

    it('the cleanup without s3:DeleteObject: its DeleteObjects gets AccessDenied per key, so a stale temp/ file stays', async () => {
      const stale = `temp/${randomUUID()}/subtitles.srt`;
      await harness().s3.send(new PutObjectCommand({ Bucket: harness().cloud.bucket, Key: stale, Body: ONE_CUE_SRT }));
      const old = new Date(Date.now() - 25 * 3_600_000);
      await utimes(join(harness().cloud.s3Directory, harness().cloud.bucket, `${stale}._S3rver_object`), old, old);

      const report = (await harness().cloud.runSchedule('cleanup')) as CleanupReport;
      const asCleanup = s3As(harness(), harness().cloud.access.functionCredentials('cleanup'));
      const { Errors } = await asCleanup.send(new DeleteObjectsCommand({ Bucket: harness().cloud.bucket, Delete: { Objects: [{ Key: stale }] } }));
      asCleanup.destroy();

      expect(report.temp_objects_deleted).toBe(0);
      expect(await objectExists(harness(), stale)).toBe(true);
      expect(Errors).toEqual([{ Key: stale, Code: 'AccessDenied', Message: expect.stringContaining('s3:DeleteObject') }]);
    });

    it('the upload rule without states:StartExecution: a landed source starts no execution, and the refusal is logged', async () => {
      const key = `uploads/${randomUUID()}/source.mp4`;

      await harness().s3.send(new PutObjectCommand({ Bucket: harness().cloud.bucket, Key: key, Body: 'a source' }));
      await expect.poll(() => log.find((line) => line.includes('could not start the pipeline')), { timeout: 5_000 }).toBeDefined();

      expect(log.find((line) => line.includes('could not start the pipeline'))).toMatch(
        /FailedInvocation.*AccessDeniedException.*vidp-source-uploaded-rule-role.*states:StartExecution/,
      );
      expect(harness().cloud.executions.list().filter((execution) => JSON.stringify(execution.input).includes(key))).toEqual([]);
    });
  },
);

withGrantsRemoved(
  'the state machine role without ecs:TagResource (RunTask propagates the task definition’s tags)',
  (stateless) => removeGrant(stateless.workflow.role, 'ecs:TagResource'),
  (harness) => {
    it('fails Transcode with ECS.AccessDeniedException, and the video ends failed with a readable reason', async () => {
      const transcode = failureOf(await failedRun(harness(), 'internal_error'), 'Transcode');

      expect(transcode).toMatchObject({ error: 'ECS.AccessDeniedException' });
      expect(transcode?.cause).toMatch(/assumed-role\/vidp-pipeline-role\/.* is not authorized to perform: ecs:TagResource on resource: arn:aws:ecs:.*:task\/vidp-local\//);
      expect(transcode?.cause).toContain('(Service: AmazonECS; Status Code: 400; Error Code: AccessDeniedException;');
    });
  },
);

withGrantsRemoved(
  'the state machine role without dynamodb:UpdateItem',
  (stateless) => removeGrant(stateless.workflow.role, 'dynamodb:UpdateItem'),
  (harness) => {
    it('fails ClaimJob with DynamoDB.AmazonDynamoDBException, retried as the ASL retries it, and the video ends failed', async () => {
      const execution = await failedRun(harness(), 'internal_error');

      expect(execution.trace.filter((entry) => entry.state === 'ClaimJob' && entry.type === 'StateRetried')).toHaveLength(3);
      expect(failureOf(execution, 'ClaimJob')).toMatchObject({
        error: 'DynamoDB.AmazonDynamoDBException',
        cause: expect.stringMatching(/not authorized to perform: dynamodb:UpdateItem on resource: arn:aws:dynamodb:.*:table\/vidp-local-videos/),
      });
      expect(execution.trace.some((entry) => entry.state === 'Transcode')).toBe(false);
    });
  },
);

withGrantsRemoved(
  'the task role without s3:PutObject (the worker’s output under videos/)',
  (stateless) => removeGrant(stateless.worker.taskDefinition.taskRole, 's3:PutObject'),
  (harness) => {
    it('has the worker’s upload refused, and the video ends failed worker_misconfigured, with nothing left behind', async () => {
      const transcode = failureOf(await failedRun(harness(), 'worker_misconfigured'), 'Transcode');

      expect(transcode).toMatchObject({ error: 'WorkerMisconfiguredError', cause: expect.stringMatching(/Storage refused the worker .*AccessDenied/) });
    });
  },
);

function s3As(harness: Harness, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): S3Client {
  return new S3Client({
    region: LOCAL_REGION,
    credentials,
    endpoint: harness.cloud.s3Endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** A record written as the administrator (what a test arranges, not what the API would do). */
async function putRecord(harness: Harness, record: object): Promise<void> {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_ADMIN_CREDENTIALS, endpoint: harness.cloud.dynamodbEndpoint }),
  );
  try {
    await client.send(new PutCommand({ TableName: harness.cloud.table, Item: record as Record<string, unknown> }));
  } finally {
    client.destroy();
  }
}
