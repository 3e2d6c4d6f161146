import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ECSClient, StopTaskCommand } from '@aws-sdk/client-ecs';
import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIDEO_INDEXES } from '../../functions/core/video-repository.ts';
import { startLocalCloud, type LocalCloud } from '../../infra/local/cloud.ts';
import type { AwsCredentials } from '../../infra/local/iam/credentials.ts';
import { executionArn, LOCAL_ADMIN_CREDENTIALS, LOCAL_CLUSTER_ARN, LOCAL_REGION } from '../../infra/local/local-resources.ts';

/**
 * Every service the local cloud serves checks who signed a request and what that role may do, against the
 * CDK app's policies as synthesized: each principal's real calls go through (the workflow tests show it),
 * and here what a role was never granted is refused the way the service refuses it.
 */
let cloud: LocalCloud;
const clients: { destroy(): void }[] = [];

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0, logger: () => {}, cleanupIntervalMs: 0 });
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await cloud?.stop();
});

const asFunction = (name: string) => cloud.access.functionCredentials(name);
const asWorker = () => cloud.access.roleCredentials('ecsTask', 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6');

function client<T extends { destroy(): void }>(made: T): T {
  clients.push(made);
  return made;
}
const s3 = (credentials: AwsCredentials) =>
  client(new S3Client({ region: LOCAL_REGION, credentials, endpoint: cloud.s3Endpoint, forcePathStyle: true, maxAttempts: 1, requestChecksumCalculation: 'WHEN_REQUIRED' }));
const dynamodb = (credentials: AwsCredentials) => client(new DynamoDBClient({ region: LOCAL_REGION, credentials, endpoint: cloud.dynamodbEndpoint, maxAttempts: 1 }));
const sfn = (credentials: AwsCredentials) => client(new SFNClient({ region: LOCAL_REGION, credentials, endpoint: cloud.stepFunctionsEndpoint, maxAttempts: 1 }));
const ecs = (credentials: AwsCredentials) => client(new ECSClient({ region: LOCAL_REGION, credentials, endpoint: cloud.ecsEndpoint, maxAttempts: 1 }));

async function failure(call: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  const error = (await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )) as (Error & { $metadata?: { httpStatusCode?: number } }) | undefined;
  if (error === undefined) throw new Error('expected the call to be refused');
  return { name: error.name, status: error.$metadata?.httpStatusCode, message: error.message };
}

describe('S3', () => {
  it('refuses a role what its policies do not allow with 403 AccessDenied, naming the role session and the action', async () => {
    const key = `videos/${randomUUID()}/video.mp4`;

    expect(await failure(s3(asFunction('get-video')).send(new PutObjectCommand({ Bucket: cloud.bucket, Key: key, Body: 'x' })))).toEqual({
      name: 'AccessDenied',
      status: 403,
      message:
        'User: arn:aws:sts::000000000000:assumed-role/vidp-get-video-role/vidp-get-video is not authorized to perform: s3:PutObject ' +
        `on resource: "arn:aws:s3:::${cloud.bucket}/${key}" because no identity-based policy allows the s3:PutObject action`,
    });
  });

  it('answers a missing key 404 to a role that may list the bucket, and 403 naming s3:ListBucket to one that may not', async () => {
    const missing = `uploads/${randomUUID()}/source.mp4`;
    const playbackKey = `videos/${randomUUID()}/video.mp4`;

    expect(await failure(s3(asWorker()).send(new HeadObjectCommand({ Bucket: cloud.bucket, Key: missing })))).toMatchObject({ status: 404 });
    expect(await failure(s3(asFunction('get-video')).send(new GetObjectCommand({ Bucket: cloud.bucket, Key: playbackKey })))).toMatchObject({
      name: 'AccessDenied',
      status: 403,
      message: expect.stringContaining('s3:ListBucket on resource: "arn:aws:s3:::vidp-local-media"'),
    });
  });

  it('decides DeleteObjects key by key: what the role may delete goes, the rest comes back as AccessDenied errors', async () => {
    const id = randomUUID();
    const [temp, upload] = [`temp/${id}/subtitles.srt`, `uploads/${id}/source.mp4`];
    const admin = s3(LOCAL_ADMIN_CREDENTIALS);
    for (const key of [temp, upload]) await admin.send(new PutObjectCommand({ Bucket: cloud.bucket, Key: key, Body: key }));

    const result = await s3(asFunction('reconcile-execution')).send(
      new DeleteObjectsCommand({ Bucket: cloud.bucket, Delete: { Objects: [{ Key: temp }, { Key: upload }] } }),
    );

    expect(result.Deleted).toEqual([{ Key: temp }]);
    expect(result.Errors).toEqual([{ Key: upload, Code: 'AccessDenied', Message: expect.stringContaining('s3:DeleteObject') }]);
    expect(await failure(admin.send(new HeadObjectCommand({ Bucket: cloud.bucket, Key: temp })))).toMatchObject({ status: 404 });
    await expect(admin.send(new HeadObjectCommand({ Bucket: cloud.bucket, Key: upload }))).resolves.toBeDefined();
  });

  it('refuses a role’s key without its session token, and a key it never issued', async () => {
    const { sessionToken: _token, ...withoutToken } = asFunction('get-video');
    const get = (credentials: AwsCredentials) => s3(credentials).send(new GetObjectCommand({ Bucket: cloud.bucket, Key: 'videos/x/video.mp4' }));

    expect(await failure(get(withoutToken))).toMatchObject({ name: 'InvalidToken', status: 400 });
    expect(await failure(get({ accessKeyId: 'ASIAUNKNOWNKEY000000', secretAccessKey: 'guessed' }))).toMatchObject({ name: 'InvalidAccessKeyId', status: 403 });
  });
});

describe('DynamoDB', () => {
  it('refuses an action the role lacks with 400 AccessDeniedException, and lets through the ones it has', async () => {
    const key = { id: { S: randomUUID() } };

    expect(await failure(dynamodb(asFunction('get-video')).send(new PutItemCommand({ TableName: cloud.table, Item: key })))).toEqual({
      name: 'AccessDeniedException',
      status: 400,
      message: expect.stringMatching(/assumed-role\/vidp-get-video-role\/vidp-get-video is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/vidp-local-videos/),
    });
    await expect(dynamodb(asFunction('get-video')).send(new GetItemCommand({ TableName: cloud.table, Key: key }))).resolves.toBeDefined();
  });

  it('authorizes a query on the index it names: list-videos may query its indexes, not the table', async () => {
    const byStatus = { KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': { S: 'saved' } } };
    const listVideos = dynamodb(asFunction('list-videos'));

    await expect(listVideos.send(new QueryCommand({ TableName: cloud.table, IndexName: VIDEO_INDEXES.byStatus, ...byStatus }))).resolves.toBeDefined();
    expect(
      await failure(
        listVideos.send(new QueryCommand({ TableName: cloud.table, KeyConditionExpression: 'id = :id', ExpressionAttributeValues: { ':id': { S: 'x' } } })),
      ),
    ).toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining(`table/${cloud.table} because`) });
  });

  it('refuses an unsigned request and a signature made with the wrong secret', async () => {
    const unsigned = await fetch(cloud.dynamodbEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
      body: '{}',
    });
    const wrongSecret = { ...asFunction('get-video'), secretAccessKey: 'guessed' };

    expect({ status: unsigned.status, body: await unsigned.json() }).toMatchObject({
      status: 400,
      body: { __type: 'com.amazon.coral.service#MissingAuthenticationTokenException' },
    });
    expect(await failure(dynamodb(wrongSecret).send(new GetItemCommand({ TableName: cloud.table, Key: { id: { S: 'x' } } })))).toMatchObject({
      name: 'InvalidSignatureException',
    });
  });
});

describe('Step Functions', () => {
  it('lets the worker’s role report task tokens and nobody else', async () => {
    const report = (credentials: AwsCredentials) => sfn(credentials).send(new SendTaskSuccessCommand({ taskToken: 'unknown-token', output: '{}' }));

    expect(await failure(report(asWorker()))).toMatchObject({ name: 'TaskDoesNotExist' });
    expect(await failure(report(asFunction('get-video')))).toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('states:SendTaskSuccess on resource: arn:aws:states:us-east-1:000000000000:stateMachine:vidp-dev-pipeline'),
    });
  });

  it('authorizes DescribeExecution on the execution: the cleanup may ask, the worker may not', async () => {
    const describe = (credentials: AwsCredentials) => sfn(credentials).send(new DescribeExecutionCommand({ executionArn: executionArn(randomUUID()) }));

    expect(await failure(describe(asFunction('cleanup')))).toMatchObject({ name: 'ExecutionDoesNotExist' });
    expect(await failure(describe(asWorker()))).toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining('states:DescribeExecution') });
  });
});

describe('ECS', () => {
  it('lets delete-video stop the cluster’s tasks and refuses StopTask to any other role', async () => {
    const stop = (credentials: AwsCredentials) =>
      ecs(credentials).send(new StopTaskCommand({ cluster: 'vidp-local', task: `${LOCAL_CLUSTER_ARN.replace(':cluster/', ':task/')}/0123456789abcdef0123456789abcdef` }));

    expect(await failure(stop(asFunction('delete-video')))).toMatchObject({ name: 'InvalidParameterException' });
    expect(await failure(stop(asFunction('get-video')))).toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('ecs:StopTask on resource: arn:aws:ecs:us-east-1:000000000000:task/vidp-local/0123456789abcdef0123456789abcdef'),
    });
  });
});
