import { describe, expect, it } from 'vitest';
import { permissionsForTasks, UnmappedTaskError, type TaskTargets } from '../../infra/aws/workflow/asl-permissions.ts';
import { placeholdersIn, readPipelineDefinition, taskStatesOf } from '../../infra/shared/pipeline-definition.ts';

/** How the state machine role follows the ASL: derived Task by Task, and refused for a Task it cannot read. */
const TARGETS: TaskTargets = {
  tables: { VideosTable: 'arn:table/videos' },
  buckets: { MediaBucket: 'arn:bucket/media' },
  functions: { PrepareSubtitlesFunctionArn: 'arn:function/prepare' },
  taskDefinitions: {
    TranscodeTaskDefinitionArn: {
      familyArn: 'arn:task-definition/vidp-transcode:*',
      clusterPlaceholder: 'ClusterArn',
      clusterArn: 'arn:cluster/vidp',
      passRoleArns: ['arn:role/task', 'arn:role/execution'],
      tasksArn: 'arn:task/vidp/*',
    },
  },
  eventBuses: { EventBusName: 'arn:event-bus/vidp' },
};

function definitionWith(states: Record<string, unknown>): string {
  return JSON.stringify({ StartAt: Object.keys(states)[0], States: states });
}

describe('permissionsForTasks', () => {
  it('allows an S3 call on the fixed prefix of the key the Task builds', () => {
    const definition = definitionWith({
      Clean: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:s3:deleteObject',
        Parameters: { Bucket: '${MediaBucket}', 'Key.$': "States.Format('temp/{}/subtitles.srt', $.videoId)" },
        End: true,
      },
    });

    const [permission] = permissionsForTasks(taskStatesOf(definition), TARGETS);

    expect(permission).toMatchObject({ actions: ['s3:DeleteObject'], resources: ['arn:bucket/media/temp/*'], states: ['Clean'] });
  });

  it('refuses an S3 key taken from the execution input: it could be any key', () => {
    const definition = definitionWith({
      Clean: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:s3:deleteObject',
        Parameters: { Bucket: '${MediaBucket}', 'Key.$': '$.key' },
        End: true,
      },
    });

    expect(() => permissionsForTasks(taskStatesOf(definition), TARGETS)).toThrow(/state Clean.*fixed prefix/);
  });

  it('refuses an integration it has no mapping for, naming the state and the file to extend', () => {
    const definition = definitionWith({
      Notify: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', Parameters: { TopicArn: 'x' }, End: true },
    });

    expect(() => permissionsForTasks(taskStatesOf(definition), TARGETS)).toThrow(UnmappedTaskError);
    expect(() => permissionsForTasks(taskStatesOf(definition), TARGETS)).toThrow(/state Notify .*asl-permissions\.ts/);
  });

  it('refuses a table the stack does not create', () => {
    const definition = definitionWith({
      Write: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', Parameters: { TableName: 'someone-elses-table' }, End: true },
    });

    expect(() => permissionsForTasks(taskStatesOf(definition), TARGETS)).toThrow(/TableName must name a table/);
  });

  it('lets ECS run only the transcode family, in the vidp cluster, and pass only its two roles to ECS', () => {
    const definition = definitionWith({
      Transcode: {
        Type: 'Task',
        Resource: 'arn:aws:states:::ecs:runTask.waitForTaskToken',
        Parameters: { Cluster: '${ClusterArn}', TaskDefinition: '${TranscodeTaskDefinitionArn}' },
        End: true,
      },
    });

    const permissions = permissionsForTasks(taskStatesOf(definition), TARGETS);

    expect(permissions.map(({ actions, resources, conditions }) => ({ actions, resources, conditions }))).toEqual([
      {
        actions: ['ecs:RunTask'],
        resources: ['arn:task-definition/vidp-transcode:*'],
        conditions: { ArnEquals: { 'ecs:cluster': 'arn:cluster/vidp' } },
      },
      {
        actions: ['iam:PassRole'],
        resources: ['arn:role/task', 'arn:role/execution'],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      },
    ]);
  });

  it('lets ECS tag the tasks it creates, and only at creation, when RunTask propagates tags or gives some', () => {
    const runTask = (parameters: Record<string, unknown>) =>
      definitionWith({
        Transcode: {
          Type: 'Task',
          Resource: 'arn:aws:states:::ecs:runTask.waitForTaskToken',
          Parameters: { Cluster: '${ClusterArn}', TaskDefinition: '${TranscodeTaskDefinitionArn}', ...parameters },
          End: true,
        },
      });
    const tagging = (definition: string) =>
      permissionsForTasks(taskStatesOf(definition), TARGETS).filter((permission) => permission.actions.includes('ecs:TagResource'));

    expect(tagging(runTask({ PropagateTags: 'TASK_DEFINITION' }))).toEqual([
      {
        actions: ['ecs:TagResource'],
        resources: ['arn:task/vidp/*'],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
        wildcardReason: expect.stringContaining('ecs:CreateAction = RunTask'),
        states: ['Transcode'],
      },
    ]);
    expect(tagging(runTask({ Tags: [{ Key: 'job', Value: 'x' }] }))).toHaveLength(1);
    expect(tagging(runTask({ PropagateTags: 'NONE' }))).toEqual([]);
    expect(tagging(runTask({}))).toEqual([]);
  });

  it('finds Task states inside Parallel branches and Map item processors', () => {
    const invoke = {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: '${PrepareSubtitlesFunctionArn}' },
      End: true,
    };
    const definition = definitionWith({
      Fan: {
        Type: 'Parallel',
        Branches: [{ StartAt: 'A', States: { A: invoke } }],
        Next: 'Each',
      },
      Each: { Type: 'Map', ItemProcessor: { StartAt: 'B', States: { B: invoke } }, End: true },
    });

    expect(taskStatesOf(definition).map((task) => task.name)).toEqual(['A', 'B']);
    expect(permissionsForTasks(taskStatesOf(definition), TARGETS)).toEqual([
      { actions: ['lambda:InvokeFunction'], resources: ['arn:function/prepare'], states: ['A', 'B'] },
    ]);
  });

  it('maps every Task of statemachine/pipeline.asl.json', () => {
    const tasks = taskStatesOf(readPipelineDefinition());
    const targets: TaskTargets = {
      ...TARGETS,
      functions: Object.fromEntries(
        placeholdersIn(readPipelineDefinition())
          .filter((name) => name.endsWith('FunctionArn'))
          .map((name) => [name, `arn:function/${name}`]),
      ),
    };

    const covered = permissionsForTasks(tasks, targets).flatMap((permission) => permission.states);

    expect(new Set(covered)).toEqual(new Set(tasks.map((task) => task.name)));
  });
});
