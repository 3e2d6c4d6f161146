import { describe, expect, it } from 'vitest';
import {
  deleteObjectsRequests,
  requiredActionsForDynamoDb,
  requiredActionsForLambdaInvoke,
  requiredActionsForPutEvents,
  requiredActionsForRunTask,
  requiredActionsForS3,
  requiredActionsForTask,
  UnmodelledCallError,
} from '../../infra/local/iam/required-actions.ts';

const TASK_ROLE = 'arn:aws:iam::000000000000:role/task';
const EXECUTION_ROLE = 'arn:aws:iam::000000000000:role/execution';
const TASK_DEFINITION = {
  taskRoleArn: TASK_ROLE,
  executionRoleArn: EXECUTION_ROLE,
  tags: [
    { key: 'app', value: 'vidp' },
    { key: 'stage', value: 'dev' },
  ],
};

describe('requiredActionsForRunTask', () => {
  it('runs the task definition in the cluster, passes both roles to ECS, then tags the new task when tags propagate', () => {
    const requests = requiredActionsForRunTask({
      cluster: 'arn:aws:ecs:us-east-1:000000000000:cluster/vidp-local',
      taskDefinition: 'arn:aws:ecs:us-east-1:000000000000:task-definition/vidp-dev-transcode:1',
      taskDefinitionDetails: TASK_DEFINITION,
      propagateTags: 'TASK_DEFINITION',
      taskId: 'abc123',
    });

    expect(requests).toEqual([
      {
        action: 'ecs:RunTask',
        resource: 'arn:aws:ecs:us-east-1:000000000000:task-definition/vidp-dev-transcode:1',
        context: { 'ecs:cluster': 'arn:aws:ecs:us-east-1:000000000000:cluster/vidp-local' },
      },
      { action: 'iam:PassRole', resource: TASK_ROLE, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      { action: 'iam:PassRole', resource: EXECUTION_ROLE, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      {
        action: 'ecs:TagResource',
        resource: 'arn:aws:ecs:us-east-1:000000000000:task/vidp-local/abc123',
        context: { 'ecs:CreateAction': 'RunTask', 'aws:RequestTag/app': 'vidp', 'aws:RequestTag/stage': 'dev', 'aws:TagKeys': ['app', 'stage'] },
      },
    ]);
  });

  it('tags nothing, and so needs no ecs:TagResource, when tags neither propagate nor are given', () => {
    const actions = requiredActionsForRunTask({ taskDefinition: 'family:3', taskDefinitionDetails: TASK_DEFINITION, taskId: 't' }).map(
      (request) => request.action,
    );

    expect(actions).toEqual(['ecs:RunTask', 'iam:PassRole', 'iam:PassRole']);
  });

  it('passes the overriding task role instead of the task definition’s, and carries request tags on RunTask too', () => {
    const requests = requiredActionsForRunTask({
      taskDefinition: 'family',
      taskDefinitionDetails: { taskRoleArn: TASK_ROLE },
      overrides: { taskRoleArn: 'arn:aws:iam::000000000000:role/other' },
      tags: [{ key: 'job', value: 'v1' }],
      taskId: 't',
    });

    expect(requests[0]).toMatchObject({
      resource: 'arn:aws:ecs:us-east-1:000000000000:task-definition/family',
      context: { 'ecs:cluster': 'arn:aws:ecs:us-east-1:000000000000:cluster/default', 'aws:RequestTag/job': 'v1' },
    });
    expect(requests.filter((request) => request.action === 'iam:PassRole').map((request) => request.resource)).toEqual([
      'arn:aws:iam::000000000000:role/other',
    ]);
    expect(requests.at(-1)).toMatchObject({ action: 'ecs:TagResource', resource: 'arn:aws:ecs:us-east-1:000000000000:task/default/t' });
  });

  it('carries a capacity provider strategy as ecs:capacity-provider on RunTask, and asks for nothing more', () => {
    const withStrategy = requiredActionsForRunTask({ taskDefinition: 'family', taskDefinitionDetails: TASK_DEFINITION, capacityProviders: ['FARGATE_SPOT'], taskId: 't' });
    const without = requiredActionsForRunTask({ taskDefinition: 'family', taskDefinitionDetails: TASK_DEFINITION, taskId: 't' });

    expect(withStrategy[0]!.context).toMatchObject({ 'ecs:capacity-provider': ['arn:aws:ecs:us-east-1:000000000000:capacity-provider/FARGATE_SPOT'] });
    expect(withStrategy.map((request) => [request.action, request.resource])).toEqual(without.map((request) => [request.action, request.resource]));
  });
});

describe('requiredActionsForS3', () => {
  it('authorizes HeadObject as s3:GetObject and the multipart calls as s3:PutObject, on the object', () => {
    for (const [operation, action] of [
      ['HeadObject', 's3:GetObject'],
      ['CreateMultipartUpload', 's3:PutObject'],
      ['UploadPart', 's3:PutObject'],
      ['CompleteMultipartUpload', 's3:PutObject'],
      ['ListParts', 's3:ListMultipartUploadParts'],
    ] as const) {
      expect(requiredActionsForS3(operation, { Bucket: 'b', Key: 'uploads/v/source.mp4' })).toEqual([
        { action, resource: 'arn:aws:s3:::b/uploads/v/source.mp4' },
      ]);
    }
  });

  it('reads the copy source and writes the target for CopyObject', () => {
    expect(requiredActionsForS3('CopyObject', { Bucket: 'b', Key: 'uploads/v/source.mp4', CopySource: 'b/uploads/v/source%20x.mp4' })).toEqual([
      { action: 's3:GetObject', resource: 'arn:aws:s3:::b/uploads/v/source x.mp4' },
      { action: 's3:PutObject', resource: 'arn:aws:s3:::b/uploads/v/source.mp4' },
    ]);
  });

  it('lists with the prefix as s3:prefix, and a listing without one as the root listing ""', () => {
    expect(requiredActionsForS3('ListObjectsV2', { Bucket: 'b', Prefix: 'temp/', MaxKeys: 1000 })).toEqual([
      { action: 's3:ListBucket', resource: 'arn:aws:s3:::b', context: { 's3:prefix': 'temp/', 's3:max-keys': '1000' } },
    ]);
    expect(requiredActionsForS3('ListObjectsV2', { Bucket: 'b' })[0]!.context).toEqual({ 's3:prefix': '' });
    expect(requiredActionsForS3('HeadBucket', { Bucket: 'b' })).toEqual([{ action: 's3:ListBucket', resource: 'arn:aws:s3:::b', context: {} }]);
  });

  it('decides DeleteObjects key by key', () => {
    expect(deleteObjectsRequests('b', ['temp/a', 'videos/b']).map(({ request }) => request.resource)).toEqual([
      'arn:aws:s3:::b/temp/a',
      'arn:aws:s3:::b/videos/b',
    ]);
  });

  it('refuses an operation it has no mapping for', () => {
    expect(() => requiredActionsForS3('PutBucketPolicy', { Bucket: 'b' })).toThrow(UnmodelledCallError);
  });
});

describe('the other services', () => {
  it('authorizes a Query on an index against the index ARN, with the condition keys the call carries', () => {
    expect(requiredActionsForDynamoDb('Query', { TableName: 't', IndexName: 'status-created_at-index', Select: 'ALL_ATTRIBUTES' })).toEqual([
      {
        action: 'dynamodb:Query',
        resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/t/index/status-created_at-index',
        context: { 'dynamodb:Select': 'ALL_ATTRIBUTES' },
      },
    ]);
    expect(requiredActionsForDynamoDb('UpdateItem', { TableName: 't', ReturnValues: 'ALL_NEW' })[0]).toMatchObject({
      resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/t',
      context: { 'dynamodb:ReturnValues': 'ALL_NEW' },
    });
  });

  it('invokes a function by name, ARN or qualified name, on the (qualified) function ARN', () => {
    const arn = 'arn:aws:lambda:us-east-1:000000000000:function:vidp-mark-failed';

    expect(requiredActionsForLambdaInvoke('vidp-mark-failed')[0]!.resource).toBe(arn);
    expect(requiredActionsForLambdaInvoke(arn)[0]!.resource).toBe(arn);
    expect(requiredActionsForLambdaInvoke(`${arn}:live`)[0]!.resource).toBe(`${arn}:live`);
    expect(requiredActionsForLambdaInvoke('vidp-mark-failed', '$LATEST')[0]!.resource).toBe(arn);
  });

  it('puts each event on its bus, with its source and detail type as condition keys', () => {
    expect(requiredActionsForPutEvents([{ EventBusName: 'vidp-dev-events', Source: 'vidp.pipeline', DetailType: 'VideoSaved' }, {}])).toEqual([
      {
        action: 'events:PutEvents',
        resource: 'arn:aws:events:us-east-1:000000000000:event-bus/vidp-dev-events',
        context: { 'events:source': 'vidp.pipeline', 'events:detail-type': 'VideoSaved' },
      },
      { action: 'events:PutEvents', resource: 'arn:aws:events:us-east-1:000000000000:event-bus/default', context: {} },
    ]);
  });
});

describe('requiredActionsForTask', () => {
  it('reads the Transcode Task’s Parameters as RunTask with PropagateTags', () => {
    const requests = requiredActionsForTask(
      'arn:aws:states:::ecs:runTask.waitForTaskToken',
      { Cluster: 'arn:aws:ecs:us-east-1:000000000000:cluster/vidp-local', TaskDefinition: 'vidp-dev-transcode:1', PropagateTags: 'TASK_DEFINITION' },
      { taskDefinition: () => TASK_DEFINITION, newTaskId: () => 'task-1' },
    );

    expect(requests.map((request) => request.action)).toEqual(['ecs:RunTask', 'iam:PassRole', 'iam:PassRole', 'ecs:TagResource']);
  });

  it('maps the optimized DynamoDB, Lambda and EventBridge integrations and the AWS SDK S3 integration', () => {
    expect(requiredActionsForTask('arn:aws:states:::dynamodb:updateItem', { TableName: 't' })[0]!.action).toBe('dynamodb:UpdateItem');
    expect(requiredActionsForTask('arn:aws:states:::lambda:invoke', { FunctionName: 'f', Payload: {} })[0]!.action).toBe('lambda:InvokeFunction');
    expect(requiredActionsForTask('arn:aws:states:::events:putEvents', { Entries: [{ EventBusName: 'b' }] })[0]!.action).toBe('events:PutEvents');
    expect(requiredActionsForTask('arn:aws:states:::aws-sdk:s3:deleteObject', { Bucket: 'b', Key: 'temp/v/subtitles.srt' })).toEqual([
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/temp/v/subtitles.srt' },
    ]);
  });

  it('refuses an integration it has no mapping for', () => {
    expect(() => requiredActionsForTask('arn:aws:states:::sns:publish', {})).toThrow(/sns:publish/);
  });
});
