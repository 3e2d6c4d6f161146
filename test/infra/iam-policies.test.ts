import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPipelineDefinition, taskStatesOf } from '../../infra/shared/pipeline-definition.ts';
import { taskFailureForDenial, type AccessDenial } from '../../infra/local/iam/access-denied.ts';
import { IamAuthorizer, type AuthorizationRequest, type Caller } from '../../infra/local/iam/authorizer.ts';
import { localArns } from '../../infra/local/iam/local-arns.ts';
import {
  deleteObjectsRequests,
  missingObjectOutcome,
  requiredActionsForDynamoDb as dynamodb,
  requiredActionsForExecution,
  requiredActionsForS3 as s3,
  requiredActionsForTask,
  requiredActionsForTaskResponse,
} from '../../infra/local/iam/required-actions.ts';
import { loadLocalIamModel, synthesizeLocalIamModel, type LoadedIam, type LocalIamModel } from '../../infra/local/iam/synthesized-policies.ts';
import { VIDEO_INDEXES } from '../../functions/core/video-repository.ts';
import { removeGrant } from './remove-grant.ts';

/**
 * The policies the CDK app synthesizes, enforced as the local cloud enforces them: every call each principal's
 * code makes is allowed under its own role, and nothing else is assumed.
 */
const VIDEO = 'video-1';
const SOURCE = `uploads/${VIDEO}/source.mp4`;
const OUTPUT = `videos/${VIDEO}/video.mp4`;
const TASK_STATES = taskStatesOf(readPipelineDefinition()).map((task) => task.name);
let cacheDir: string;
let cold: LoadedIam;
let model: LocalIamModel;
let authorizer: IamAuthorizer;
let bucket: string;
let table: string;

beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), 'vidp-iam-cache-'));
  cold = await loadLocalIamModel({ cacheDir });
  ({ model } = cold);
  authorizer = new IamAuthorizer(model);
  bucket = model.resources.mediaBucket.name;
  table = model.resources.videosTable.name;
});
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

const fn = (name: string): Caller => ({ roleName: model.principals.functions[name]!.roleName, sessionName: model.principals.functions[name]!.name });
const item = (operation: string) => dynamodb(operation, { TableName: table });
const object = (operation: string, key: string) => s3(operation, { Bucket: bucket, Key: key });
const listing = (prefix: string) => s3('ListObjectsV2', { Bucket: bucket, Prefix: prefix });
const query = (index: string) => dynamodb('Query', { TableName: table, IndexName: index });

async function expectAllowed(caller: Caller, requests: AuthorizationRequest[]): Promise<void> {
  for (const request of requests) {
    expect({ request, result: await authorizer.authorize(caller, request) }).toEqual({ request, result: { allowed: true } });
  }
}

/** What each function's code calls (functions/core/*), on the keys it calls it. */
const FUNCTION_CALLS: Record<string, () => AuthorizationRequest[]> = {
  'create-upload': () => [
    ...item('GetItem'),
    ...item('PutItem'),
    ...object('PutObject', SOURCE),
    ...object('CreateMultipartUpload', SOURCE),
    ...object('PutObject', `uploads/${VIDEO}/subtitles.srt`),
  ],
  'list-videos': () => Object.values(VIDEO_INDEXES).flatMap(query),
  'get-video': () => [...item('GetItem'), ...object('GetObject', OUTPUT)],
  'get-playback': () => [...item('GetItem'), ...object('GetObject', OUTPUT)],
  'update-video': () => item('UpdateItem'),
  'delete-video': () => [
    ...item('GetItem'),
    ...item('DeleteItem'),
    ...requiredActionsForExecution('StopExecution', localArns(model.account).execution(model.resources.stateMachine.name, VIDEO)),
    ...object('AbortMultipartUpload', SOURCE),
    ...['uploads/', 'temp/', 'videos/'].flatMap((prefix) => [
      ...listing(`${prefix}${VIDEO}/`),
      ...deleteObjectsRequests(bucket, [`${prefix}${VIDEO}/a`]).map(({ request }) => request),
    ]),
  ],
  'get-upload': () => [...item('GetItem'), ...object('ListParts', SOURCE)],
  'presign-upload-parts': () => [...item('GetItem'), ...object('UploadPart', SOURCE)],
  'complete-upload': () => [
    ...item('GetItem'),
    ...object('ListParts', SOURCE),
    ...object('CompleteMultipartUpload', SOURCE),
  ],
  'abort-upload': () => [...item('GetItem'), ...item('UpdateItem'), ...object('AbortMultipartUpload', SOURCE)],
  'retry-video': () => [
    ...item('GetItem'),
    ...item('UpdateItem'),
    ...object('HeadObject', SOURCE),
    ...s3('CopyObject', { Bucket: bucket, Key: SOURCE, CopySource: `${bucket}/${SOURCE}` }),
  ],
  health: () => [...s3('HeadBucket', { Bucket: bucket }), ...dynamodb('DescribeTable', { TableName: table })],
  openapi: () => [],
  'prepare-subtitles': () => [
    ...item('GetItem'),
    ...item('UpdateItem'),
    ...object('GetObject', `uploads/${VIDEO}/subtitles.srt`),
    ...object('PutObject', `temp/${VIDEO}/subtitles.srt`),
  ],
  'mark-failed': () => item('UpdateItem'),
  cleanup: () => [
    ...listing('temp/'),
    ...listing('uploads/'),
    ...deleteObjectsRequests(bucket, [`temp/${VIDEO}/subtitles.srt`, SOURCE]).map(({ request }) => request),
    ...item('GetItem'),
    ...item('UpdateItem'),
    ...query(VIDEO_INDEXES.byStatus),
    ...s3('ListMultipartUploads', { Bucket: bucket }),
    ...object('AbortMultipartUpload', SOURCE),
    ...object('AbortMultipartUpload', OUTPUT),
    // The reconciler (functions/core/reconcile.ts): is the execution still running; an interrupted run's leftovers.
    ...requiredActionsForExecution('DescribeExecution', localArns(model.account).execution(model.resources.stateMachine.name, VIDEO)),
    ...listing(`videos/${VIDEO}/`),
    ...deleteObjectsRequests(bucket, [`videos/${VIDEO}/subtitles.vtt`]).map(({ request }) => request),
  ],
  'reconcile-execution': () => [
    ...item('GetItem'),
    ...item('UpdateItem'),
    ...listing(`temp/${VIDEO}/`),
    ...listing(`videos/${VIDEO}/`),
    ...deleteObjectsRequests(bucket, [`temp/${VIDEO}/subtitles.srt`, `videos/${VIDEO}/video.mp4`]).map(({ request }) => request),
  ],
};

/** containers/ffmpeg/src/worker.ts, under the task role. */
const WORKER_CALLS = (): AuthorizationRequest[] => [
  ...object('HeadObject', SOURCE),
  ...object('GetObject', SOURCE),
  ...object('GetObject', `temp/${VIDEO}/subtitles.srt`),
  ...object('PutObject', OUTPUT),
  ...object('CreateMultipartUpload', OUTPUT),
  ...object('AbortMultipartUpload', OUTPUT),
  ...object('PutObject', `videos/${VIDEO}/subtitles.vtt`),
  ...item('UpdateItem'),
  ...(['SendTaskSuccess', 'SendTaskFailure', 'SendTaskHeartbeat'] as const).flatMap((operation) =>
    requiredActionsForTaskResponse(operation, model.resources.stateMachine.arn),
  ),
];

/**
 * The Task states of statemachine/pipeline.asl.json as the local cloud runs them: the CDK's substitutions with
 * the local names, and each path parameter given a value of the shape it takes (`States.Format` filled in).
 */
function aslTaskCalls(): { state: string; requests: AuthorizationRequest[] }[] {
  const { resources, principals } = model;
  const substitutions: Record<string, string> = {
    VideosTable: table,
    MediaBucket: bucket,
    PrepareSubtitlesFunctionArn: principals.functions['prepare-subtitles']!.arn,
    MarkFailedFunctionArn: principals.functions['mark-failed']!.arn,
    ClusterArn: resources.cluster.arn,
    TranscodeTaskDefinitionArn: resources.taskDefinition.arn,
    EventBusName: resources.eventBus.name,
    EventBusArn: resources.eventBus.arn,
  };
  const definition = readPipelineDefinition().replace(/\$\{(\w+)\}/g, (_match, name: string) => substitutions[name] ?? name);
  return taskStatesOf(definition).map(({ name, resource, parameters }) => ({
    state: name,
    requests: requiredActionsForTask(resource, withPathsEvaluated(parameters) as Record<string, unknown>, {
      account: model.account,
      taskDefinition: () => resources.taskDefinition,
      newTaskId: () => 'task-1',
    }),
  }));
}

function withPathsEvaluated(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withPathsEvaluated);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => {
      if (!key.endsWith('.$')) return [key, withPathsEvaluated(item)];
      const format = typeof item === 'string' ? /^States\.Format\('([^']*)'/.exec(item)?.[1] : undefined;
      return [key.slice(0, -2), format === undefined ? 'sample' : format.replaceAll('{}', VIDEO)];
    }),
  );
}

describe('the policy cache', () => {
  it('synthesizes on a cold start and, warm, reads the cache without synthesizing, to the same model', async () => {
    const warm = await loadLocalIamModel({ cacheDir });

    expect(cold).toMatchObject({ cache: 'miss', timingsMs: { synthesize: expect.any(Number) } });
    expect(warm.cache).toBe('hit');
    expect(warm.timingsMs.synthesize).toBeUndefined();
    expect(warm.model).toEqual(cold.model);
  });

  it('applies the local names on load, so one cache serves any naming', async () => {
    const renamed = await loadLocalIamModel({ cacheDir, names: { mediaBucket: 'other-media' } });

    expect(renamed.cache).toBe('hit');
    expect(JSON.stringify(renamed.model.roles[renamed.model.principals.ecsTask])).toContain('arn:aws:s3:::other-media/videos/*');
  });
});

describe('the synthesized policies, enforced locally', () => {
  it('maps every function of the app to a role of its own', () => {
    const functions = Object.values(model.principals.functions);

    expect(Object.keys(model.principals.functions).sort()).toEqual(Object.keys(FUNCTION_CALLS).sort());
    expect(new Set(functions.map((each) => each.roleName)).size).toBe(functions.length);
    expect(model.principals.cleanup).toBe(model.principals.functions.cleanup!.roleName);
  });

  it.each(Object.keys(FUNCTION_CALLS))('lets %s make every call its code makes', async (name) => {
    await expectAllowed(fn(name), FUNCTION_CALLS[name]!());
  });

  it('lets the worker read the source and subtitles, write the output, update the record and answer its task token', async () => {
    await expectAllowed({ roleName: model.principals.ecsTask, sessionName: 'task-1' }, WORKER_CALLS());
  });

  it('lets the upload rule start executions of the pipeline', async () => {
    await expectAllowed({ roleName: model.principals.sourceUploadedRule }, requiredActionsForExecution('StartExecution', model.resources.stateMachine.arn));
  });

  it('tells a missing key apart (404) to the worker, retry-video and prepare-subtitles, which hold ListBucket for that', async () => {
    for (const caller of [{ roleName: model.principals.ecsTask }, fn('retry-video'), fn('prepare-subtitles')]) {
      expect(await missingObjectOutcome(authorizer, caller, bucket)).toEqual({ status: 404 });
    }
    expect(await missingObjectOutcome(authorizer, fn('get-video'), bucket)).toMatchObject({ status: 403, denial: { action: 's3:ListBucket' } });
  });

  it('refuses what a role was not granted: another prefix, another table action, another role’s call', async () => {
    const refused = async (caller: Caller, requests: AuthorizationRequest[]) => (await authorizer.authorizeAll(caller, requests)).allowed;

    expect(await refused(fn('create-upload'), object('PutObject', OUTPUT))).toBe(false);
    expect(await refused(fn('get-video'), item('PutItem'))).toBe(false);
    expect(await refused(fn('reconcile-execution'), listing(`uploads/${VIDEO}/`))).toBe(false);
    expect(await refused({ roleName: model.principals.ecsTask }, object('DeleteObject', SOURCE))).toBe(false);
    expect(await refused(fn('list-videos'), dynamodb('Query', { TableName: table }))).toBe(false);
  });

  it('names the resources the local cloud must create with the names the policies spell', () => {
    expect(model.resources.stateMachine.name).toBe('vidp-dev-pipeline');
    expect(model.resources.taskDefinition).toMatchObject({
      family: 'vidp-dev-transcode',
      taskRoleArn: model.roles[model.principals.ecsTask]!.arn,
      executionRoleArn: model.roles[model.principals.ecsExecution]!.arn,
      tags: [
        { key: 'app', value: 'vidp' },
        { key: 'stage', value: 'dev' },
      ],
    });
    expect(model.resources.eventBus.name).toBe('vidp-dev-events');
  });
});

describe('the state machine role', () => {
  it.each(TASK_STATES)('allows the %s Task’s call', async (state) => {
    const task = aslTaskCalls().find((candidate) => candidate.state === state)!;

    await expectAllowed({ roleName: model.principals.stateMachine }, task.requests);
  });

  it('runs Transcode with everything RunTask with PropagateTags takes: the task definition, both roles, tags on the new task', () => {
    const transcode = aslTaskCalls().find((task) => task.state === 'Transcode')!;

    expect(transcode.requests.map((request) => request.action)).toEqual(['ecs:RunTask', 'iam:PassRole', 'iam:PassRole', 'ecs:TagResource']);
  });
});

/**
 * The same app with one grant taken from each role (test/infra/remove-grant.ts), synthesized once: each
 * role's matching call is refused, naming the action, and its other calls still go through.
 */
interface RemovedGrant {
  role: string;
  action: string;
  refused: () => AuthorizationRequest[];
  stillAllowed: () => AuthorizationRequest[];
}

const REMOVED_GRANTS: RemovedGrant[] = [
  // The state of the app before tag-on-create was granted: every Transcode was refused.
  {
    role: 'stateMachine',
    action: 'ecs:TagResource',
    refused: () => aslTaskCalls().find((task) => task.state === 'Transcode')!.requests,
    stillAllowed: () => aslTaskCalls().find((task) => task.state === 'ClaimJob')!.requests,
  },
  {
    role: 'ecsTask',
    action: 'states:SendTaskHeartbeat',
    refused: () => requiredActionsForTaskResponse('SendTaskHeartbeat', model.resources.stateMachine.arn),
    stillAllowed: () => requiredActionsForTaskResponse('SendTaskSuccess', model.resources.stateMachine.arn),
  },
  {
    role: 'sourceUploadedRule',
    action: 'states:StartExecution',
    refused: () => requiredActionsForExecution('StartExecution', model.resources.stateMachine.arn),
    stillAllowed: () => [],
  },
  { role: 'create-upload', action: 'dynamodb:PutItem', refused: () => item('PutItem'), stillAllowed: () => item('GetItem') },
  {
    role: 'list-videos',
    action: 'dynamodb:Query',
    refused: () => query(VIDEO_INDEXES.byStatus),
    stillAllowed: () => [],
  },
  {
    role: 'get-video',
    action: 's3:GetObject',
    refused: () => object('GetObject', OUTPUT),
    stillAllowed: () => item('GetItem'),
  },
  { role: 'get-playback', action: 'dynamodb:GetItem', refused: () => item('GetItem'), stillAllowed: () => object('GetObject', OUTPUT) },
  { role: 'update-video', action: 'dynamodb:UpdateItem', refused: () => item('UpdateItem'), stillAllowed: () => [] },
  {
    role: 'delete-video',
    action: 'states:StopExecution',
    refused: () => requiredActionsForExecution('StopExecution', localArns(model.account).execution(model.resources.stateMachine.name, VIDEO)),
    stillAllowed: () => item('DeleteItem'),
  },
  {
    role: 'get-upload',
    action: 's3:ListMultipartUploadParts',
    refused: () => object('ListParts', SOURCE),
    stillAllowed: () => item('GetItem'),
  },
  {
    role: 'presign-upload-parts',
    action: 's3:PutObject',
    refused: () => object('UploadPart', SOURCE),
    stillAllowed: () => item('GetItem'),
  },
  {
    role: 'complete-upload',
    action: 's3:PutObject',
    refused: () => object('CompleteMultipartUpload', SOURCE),
    stillAllowed: () => object('ListParts', SOURCE),
  },
  {
    role: 'abort-upload',
    action: 's3:AbortMultipartUpload',
    refused: () => object('AbortMultipartUpload', SOURCE),
    stillAllowed: () => item('UpdateItem'),
  },
  {
    role: 'retry-video',
    action: 's3:ListBucket',
    refused: () => s3('ListObjectsV2', { Bucket: bucket }),
    stillAllowed: () => object('HeadObject', SOURCE),
  },
  {
    role: 'health',
    action: 'dynamodb:DescribeTable',
    refused: () => dynamodb('DescribeTable', { TableName: table }),
    stillAllowed: () => s3('HeadBucket', { Bucket: bucket }),
  },
  {
    role: 'prepare-subtitles',
    action: 's3:PutObject',
    refused: () => object('PutObject', `temp/${VIDEO}/subtitles.srt`),
    stillAllowed: () => object('GetObject', `uploads/${VIDEO}/subtitles.srt`),
  },
  { role: 'mark-failed', action: 'dynamodb:UpdateItem', refused: () => item('UpdateItem'), stillAllowed: () => [] },
  {
    role: 'cleanup',
    action: 's3:ListBucketMultipartUploads',
    refused: () => s3('ListMultipartUploads', { Bucket: bucket }),
    stillAllowed: () => listing('temp/'),
  },
  {
    role: 'reconcile-execution',
    action: 's3:DeleteObject',
    refused: () => deleteObjectsRequests(bucket, [`videos/${VIDEO}/video.mp4`]).map(({ request }) => request),
    stillAllowed: () => item('UpdateItem'),
  },
];

describe('a grant removed from the CDK app', () => {
  let reduced: LocalIamModel;
  let reducedAuthorizer: IamAuthorizer;
  const callerOf = (role: string): Caller => {
    const fnRole = reduced.principals.functions[role]?.roleName;
    return { roleName: fnRole ?? (reduced.principals[role as 'stateMachine' | 'ecsTask' | 'sourceUploadedRule'] as string) };
  };

  beforeAll(async () => {
    reduced = await synthesizeLocalIamModel({
      customizeApp: ({ stateless }) => {
        const roles: Record<string, IRole> = {
          stateMachine: stateless.workflow.role,
          ecsTask: stateless.worker.taskDefinition.taskRole,
          sourceUploadedRule: stateless.workflow.stateMachine.node.findChild('EventsRole') as IRole,
          ...Object.fromEntries(Object.entries(stateless.functions).map(([name, fn]) => [name, fn.role!])),
        };
        for (const { role, action } of REMOVED_GRANTS) removeGrant(roles[role]!, action);
      },
    });
    reducedAuthorizer = new IamAuthorizer(reduced);
  });

  it('covers every role that makes a call the local cloud serves', () => {
    const withGrants = Object.keys(FUNCTION_CALLS).filter((name) => FUNCTION_CALLS[name]!().length > 0);

    expect(REMOVED_GRANTS.map((grant) => grant.role).sort()).toEqual([...withGrants, 'ecsTask', 'sourceUploadedRule', 'stateMachine'].sort());
  });

  it.each(REMOVED_GRANTS.map((grant) => [grant.role, grant.action, grant] as const))(
    'without %s’s %s, its call is refused with AccessDenied naming that action',
    async (role, action, grant) => {
      const granted = reduced.roles[callerOf(role).roleName]!.policies.flatMap((policy) => JSON.stringify(policy.document));

      const refused = await reducedAuthorizer.authorizeAll(callerOf(role), grant.refused());

      expect(granted.join()).not.toContain(`"${action}"`);
      expect(refused).toMatchObject({ allowed: false, denial: { action, roleName: callerOf(role).roleName, reason: 'no-allow' } });
      for (const request of grant.stillAllowed()) expect(await reducedAuthorizer.authorize(callerOf(role), request)).toEqual({ allowed: true });
    },
  );

  it('without the state machine role’s ecs:TagResource, Transcode fails as ECS.AccessDeniedException naming ecs:TagResource', async () => {
    const transcode = aslTaskCalls().find((task) => task.state === 'Transcode')!;

    const result = await reducedAuthorizer.authorizeAll(callerOf('stateMachine'), transcode.requests);

    expect(result.allowed).toBe(false);
    const failure = taskFailureForDenial((result as { denial: AccessDenial }).denial, 'arn:aws:states:::ecs:runTask.waitForTaskToken', 'r');
    expect(failure.error).toBe('ECS.AccessDeniedException');
    expect(failure.cause).toMatch(
      new RegExp(`is not authorized to perform: ecs:TagResource on resource: arn:aws:ecs:us-east-1:000000000000:task/${reduced.resources.cluster.name}/task-1 because`),
    );
  });

  it('without retry-video’s s3:ListBucket, a missing source reads as 403 AccessDenied instead of 404', async () => {
    expect(await missingObjectOutcome(reducedAuthorizer, callerOf('retry-video'), bucket)).toMatchObject({
      status: 403,
      denial: { action: 's3:ListBucket' },
    });
  });
});
