import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccessDeniedError,
  jsonAccessDeniedResponse,
  s3AccessDeniedResponse,
  taskFailureForDenial,
  type AccessDenial,
  type ServiceErrorResponse,
} from '../../infra/local/iam/access-denied.ts';
import { IamAuthorizer, IamModelError } from '../../infra/local/iam/authorizer.ts';
import { DEFAULT_LOCAL_ACCOUNT } from '../../infra/local/iam/local-arns.ts';
import { missingObjectOutcome } from '../../infra/local/iam/required-actions.ts';
import type { LocalRole } from '../../infra/local/iam/synthesized-policies.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/videos';
const BUCKET = 'arn:aws:s3:::media';
const STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:vidp-dev-pipeline';

function role(name: string, statements: Record<string, unknown>[], awsManagedPolicyArns: string[] = []): LocalRole {
  return {
    name,
    arn: `arn:aws:iam::000000000000:role/${name}`,
    stackName: 'test',
    logicalId: name,
    policies: [{ name: `${name}-policy`, document: { Version: '2012-10-17', Statement: statements } }],
    awsManagedPolicyArns,
  };
}

const authorizer = new IamAuthorizer({
  account: DEFAULT_LOCAL_ACCOUNT,
  roles: {
    worker: role('worker', [
      { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: TABLE },
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:DeleteObject'], Resource: `${BUCKET}/*` },
      { Effect: 'Deny', Action: 's3:DeleteObject', Resource: `${BUCKET}/videos/*` },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: BUCKET },
      { Effect: 'Allow', Action: ['states:SendTaskSuccess', 'states:SendTaskHeartbeat'], Resource: STATE_MACHINE },
      {
        Effect: 'Allow',
        Action: 'ecs:RunTask',
        Resource: 'arn:aws:ecs:us-east-1:000000000000:task-definition/transcode:*',
        Condition: { ArnEquals: { 'ecs:cluster': 'arn:aws:ecs:us-east-1:000000000000:cluster/vidp' } },
      },
    ]),
    reader: role('reader', [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/uploads/*` }]),
    unmodelled: role('unmodelled', [], ['arn:aws:iam::aws:policy/AdministratorAccess']),
  },
});

const worker = { roleName: 'worker', sessionName: 'task-1' };
const reader = { roleName: 'reader' };

describe('IamAuthorizer', () => {
  it('allows what a statement allows', async () => {
    expect(await authorizer.authorize(worker, { action: 'dynamodb:UpdateItem', resource: TABLE })).toEqual({ allowed: true });
  });

  it('refuses what no statement allows, naming the action, the resource and the assumed-role session', async () => {
    const result = await authorizer.authorize(worker, { action: 'dynamodb:DeleteItem', resource: TABLE });

    expect(result).toEqual({
      allowed: false,
      denial: {
        action: 'dynamodb:DeleteItem',
        resource: TABLE,
        roleName: 'worker',
        principalArn: 'arn:aws:sts::000000000000:assumed-role/worker/task-1',
        reason: 'no-allow',
      },
    });
  });

  it('lets an explicit Deny win over an Allow', async () => {
    const result = await authorizer.authorize(worker, { action: 's3:DeleteObject', resource: `${BUCKET}/videos/v/video.mp4` });

    expect(result).toMatchObject({ allowed: false, denial: { reason: 'explicit-deny' } });
    expect(await authorizer.authorize(worker, { action: 's3:DeleteObject', resource: `${BUCKET}/temp/v/x` })).toEqual({ allowed: true });
  });

  it('evaluates the condition keys the call carries, and refuses a call that lacks them', async () => {
    const runTask = (cluster?: string) =>
      authorizer.authorize(worker, {
        action: 'ecs:RunTask',
        resource: 'arn:aws:ecs:us-east-1:000000000000:task-definition/transcode:4',
        context: cluster === undefined ? {} : { 'ecs:cluster': `arn:aws:ecs:us-east-1:000000000000:cluster/${cluster}` },
      });

    expect(await runTask('vidp')).toEqual({ allowed: true });
    expect(await runTask('other')).toMatchObject({ allowed: false });
    expect(await runTask()).toMatchObject({ allowed: false });
  });

  it('decides SendTask* on the state machine the token belongs to, as Step Functions does', async () => {
    const sendTaskSuccess = (resource: string) => authorizer.authorize(worker, { action: 'states:SendTaskSuccess', resource });

    expect(await sendTaskSuccess(STATE_MACHINE)).toEqual({ allowed: true });
    expect(await sendTaskSuccess('arn:aws:states:us-east-1:000000000000:stateMachine:another')).toMatchObject({ allowed: false });
    expect(await authorizer.authorize(worker, { action: 'states:SendTaskFailure', resource: STATE_MACHINE })).toMatchObject({
      allowed: false,
      denial: { action: 'states:SendTaskFailure' },
    });
  });

  it('reports the first refused request of a call, in order', async () => {
    const result = await authorizer.authorizeAll(worker, [
      { action: 'dynamodb:UpdateItem', resource: TABLE },
      { action: 'iam:PassRole', resource: 'arn:aws:iam::000000000000:role/task', context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      { action: 'ecs:TagResource', resource: 'arn:aws:ecs:us-east-1:000000000000:task/vidp/t' },
    ]);

    expect(result).toMatchObject({ allowed: false, denial: { action: 'iam:PassRole' } });
    await expect(authorizer.assertAllowed(reader, [{ action: 's3:PutObject', resource: `${BUCKET}/uploads/a` }])).rejects.toThrow(
      new AccessDeniedError({
        action: 's3:PutObject',
        resource: `${BUCKET}/uploads/a`,
        roleName: 'reader',
        principalArn: 'arn:aws:sts::000000000000:assumed-role/reader/reader',
        reason: 'no-allow',
      }),
    );
  });

  it('answers a missing key with 404 to a caller that may list the bucket, and with 403 naming s3:ListBucket to others', async () => {
    expect(await missingObjectOutcome(authorizer, worker, 'media')).toEqual({ status: 404 });
    expect(await missingObjectOutcome(authorizer, reader, 'media')).toMatchObject({
      status: 403,
      denial: { action: 's3:ListBucket', resource: BUCKET },
    });
  });

  it('refuses to evaluate what it cannot: an unknown role, an unmodelled managed policy, an ARN of the wrong type', async () => {
    await expect(authorizer.authorize({ roleName: 'nobody' }, { action: 's3:GetObject', resource: `${BUCKET}/a` })).rejects.toThrow(IamModelError);
    await expect(authorizer.authorize({ roleName: 'unmodelled' }, { action: 's3:GetObject', resource: `${BUCKET}/a` })).rejects.toThrow(
      /AdministratorAccess/,
    );
    await expect(authorizer.authorize(worker, { action: 'dynamodb:UpdateItem', resource: BUCKET })).rejects.toThrow(IamModelError);
  });
});

const DENIAL: AccessDenial = {
  action: 'dynamodb:GetItem',
  resource: TABLE,
  roleName: 'get-video',
  principalArn: 'arn:aws:sts::000000000000:assumed-role/get-video/vidp-get-video',
  reason: 'no-allow',
};
const MESSAGE =
  'User: arn:aws:sts::000000000000:assumed-role/get-video/vidp-get-video is not authorized to perform: dynamodb:GetItem ' +
  `on resource: ${TABLE} because no identity-based policy allows the dynamodb:GetItem action`;

describe('a refusal on the wire, as the AWS SDK reads it', () => {
  let server: Server;
  let endpoint: string;
  let next: ServiceErrorResponse;

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(next.statusCode, next.headers).end(next.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const clientOptions = () => ({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

  it('DynamoDB: AccessDeniedException, 400, with IAM’s message', async () => {
    next = jsonAccessDeniedResponse(DENIAL, 'dynamodb');
    const client = new DynamoDBClient(clientOptions());

    const error = await client.send(new GetItemCommand({ TableName: 'videos', Key: { id: { S: 'v' } } })).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: 'AccessDeniedException', message: MESSAGE, $metadata: { httpStatusCode: 400 } });
  });

  it('S3: AccessDenied, 403, with the ARN in quotes; a HEAD gets the status alone', async () => {
    const denial = { ...DENIAL, action: 's3:GetObject', resource: `${BUCKET}/uploads/v/source.mp4` };
    const client = new S3Client({ ...clientOptions(), forcePathStyle: true });

    next = s3AccessDeniedResponse(denial);
    const get = await client.send(new GetObjectCommand({ Bucket: 'media', Key: 'uploads/v/source.mp4' })).catch((caught: unknown) => caught);
    next = s3AccessDeniedResponse(denial, { method: 'HEAD' });
    const head = await client.send(new HeadObjectCommand({ Bucket: 'media', Key: 'uploads/v/source.mp4' })).catch((caught: unknown) => caught);

    expect(get).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect((get as Error).message).toContain(`on resource: "${BUCKET}/uploads/v/source.mp4" because no identity-based policy allows the s3:GetObject action`);
    expect(head).toMatchObject({ $metadata: { httpStatusCode: 403 } });
  });
});

describe('taskFailureForDenial', () => {
  it('names a refused Task as Step Functions does, per integration, with the SDK’s details in the Cause', () => {
    const errorOf = (resource: string) => taskFailureForDenial(DENIAL, resource, 'req-1').error;

    expect(taskFailureForDenial(DENIAL, 'arn:aws:states:::dynamodb:updateItem', 'req-1')).toEqual({
      error: 'DynamoDB.AmazonDynamoDBException',
      cause: `${MESSAGE} (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: AccessDeniedException; Request ID: req-1; Proxy: null)`,
    });
    expect(errorOf('arn:aws:states:::lambda:invoke')).toBe('Lambda.AWSLambdaException');
    expect(errorOf('arn:aws:states:::ecs:runTask.waitForTaskToken')).toBe('ECS.AccessDeniedException');
    expect(errorOf('arn:aws:states:::events:putEvents')).toBe('EventBridge.AmazonEventBridgeException');
    expect(errorOf('arn:aws:states:::aws-sdk:s3:deleteObject')).toBe('S3.AccessDeniedException');
  });
});
