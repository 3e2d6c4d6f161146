import type { AslTaskState } from '../../shared/pipeline-definition.ts';

/**
 * The IAM a state machine role needs, derived from the Task states of its definition rather than written
 * beside it: when the ASL gains a task, the role gains exactly that call, and a Task whose integration has
 * no mapping here fails synthesis instead of failing an execution with AccessDenied.
 *
 * Targets are named in the ASL by `${Placeholder}`; each kind of target maps its placeholders to ARNs.
 */
export interface TaskTargets {
  /** `${VideosTable}` → table ARN */
  tables: Readonly<Record<string, string>>;
  /** `${MediaBucket}` → bucket ARN */
  buckets: Readonly<Record<string, string>>;
  /** `${PrepareSubtitlesFunctionArn}` → function ARN */
  functions: Readonly<Record<string, string>>;
  /** `${TranscodeTaskDefinitionArn}` → what running that task takes */
  taskDefinitions: Readonly<Record<string, EcsTaskTarget>>;
  /** `${EventBusName}` / `${EventBusArn}` → bus ARN */
  eventBuses: Readonly<Record<string, string>>;
}

export interface EcsTaskTarget {
  /** `arn:…:task-definition/{family}:*`: any revision, so executions started before a deployment still run. */
  familyArn: string;
  clusterPlaceholder: string;
  clusterArn: string;
  /** The task role and the execution role: RunTask hands both to ECS. */
  passRoleArns: string[];
  /** `arn:…:task/{cluster}/*`: the tasks RunTask creates there, which it tags when tags propagate. */
  tasksArn: string;
}

export interface TaskPermission {
  actions: string[];
  resources: string[];
  conditions?: Record<string, Record<string, unknown>>;
  /** Set when a resource ends in a wildcard: why it cannot be narrower (for the cdk-nag acknowledgement). */
  wildcardReason?: string;
  /** The Task states that need it. */
  states: string[];
}

export class UnmappedTaskError extends Error {
  override readonly name = 'UnmappedTaskError';
  constructor(task: AslTaskState, problem: string) {
    super(
      `statemachine/pipeline.asl.json, state ${task.name} (${task.resource}): ${problem}. ` +
        'Map it in infra/aws/workflow/asl-permissions.ts so the state machine role allows exactly that call.',
    );
  }
}

type Mapper = (task: AslTaskState, match: RegExpMatchArray, targets: TaskTargets) => Omit<TaskPermission, 'states'>[];

/** Optimized and AWS SDK integrations vidp uses, by the Task's Resource. */
const INTEGRATIONS: { resource: RegExp; permissions: Mapper }[] = [
  {
    resource: /^arn:aws:states:::dynamodb:(getItem|putItem|updateItem|deleteItem)$/,
    permissions: (task, [, operation], targets) => [
      { actions: [`dynamodb:${pascalCase(operation!)}`], resources: [target(task, 'TableName', targets.tables, 'table')] },
    ],
  },
  {
    resource: /^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/,
    permissions: (task, _match, targets) => [
      { actions: ['lambda:InvokeFunction'], resources: [target(task, 'FunctionName', targets.functions, 'function')] },
    ],
  },
  {
    resource: /^arn:aws:states:::ecs:runTask(\.sync|\.waitForTaskToken)?$/,
    permissions: (task, [, pattern], targets) => {
      // Only .sync polls and stops the task itself (ecs:DescribeTasks/StopTask and a managed events rule).
      // With .waitForTaskToken, vidp's Transcode, the worker reports back and stops on its own when its
      // heartbeat says the token is dead: RunTask and PassRole (and TagResource, below) are all it takes.
      if (pattern === '.sync') {
        throw new UnmappedTaskError(task, '.sync also needs ecs:StopTask, ecs:DescribeTasks and the managed events rule; not mapped');
      }
      const placeholder = placeholderOf(task, 'TaskDefinition');
      const ecsTask = placeholder === undefined ? undefined : targets.taskDefinitions[placeholder];
      if (ecsTask === undefined) throw new UnmappedTaskError(task, 'TaskDefinition is not a task definition the stack creates');
      if (placeholderOf(task, 'Cluster') !== ecsTask.clusterPlaceholder) {
        throw new UnmappedTaskError(task, `Cluster must be \${${ecsTask.clusterPlaceholder}}`);
      }
      const permissions: Omit<TaskPermission, 'states'>[] = [
        {
          actions: ['ecs:RunTask'],
          resources: [ecsTask.familyArn],
          conditions: { ArnEquals: { 'ecs:cluster': ecsTask.clusterArn } },
          wildcardReason:
            'Any revision of the vidp transcode task definition family, in the vidp cluster only: an execution ' +
            'started before a deployment still runs the revision it was started with.',
        },
        {
          actions: ['iam:PassRole'],
          resources: ecsTask.passRoleArns,
          conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        },
      ];
      // Tag-on-create: a RunTask that gives the new task tags (its own, or the task definition's it propagates)
      // is authorized as ecs:TagResource on that task too, with ecs:CreateAction = RunTask; without it ECS
      // refuses the whole RunTask.
      if (tagsTheTask(task)) {
        permissions.push({
          actions: ['ecs:TagResource'],
          resources: [ecsTask.tasksArn],
          conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
          wildcardReason:
            'Tags on the tasks RunTask creates in the vidp cluster, at creation only (ecs:CreateAction = RunTask): ' +
            'task ids exist only once RunTask has created them.',
        });
      }
      return permissions;
    },
  },
  {
    resource: /^arn:aws:states:::aws-sdk:s3:(\w+)$/,
    permissions: (task, [, operation], targets) => {
      const bucketArn = target(task, 'Bucket', targets.buckets, 'bucket');
      const onObjects = (action: string) => {
        const prefix = keyPrefix(task, 'Key');
        return [
          {
            actions: [action],
            resources: [`${bucketArn}/${prefix}*`],
            wildcardReason: `Objects under ${prefix} only, the fixed start of the key the Task state builds (the rest is the video id).`,
          },
        ];
      };
      switch (operation) {
        case 'deleteObject':
          return onObjects('s3:DeleteObject');
        case 'getObject':
        case 'headObject':
          return onObjects('s3:GetObject');
        case 'putObject':
          return onObjects('s3:PutObject');
        case 'listObjectsV2':
          return [
            {
              actions: ['s3:ListBucket'],
              resources: [bucketArn],
              conditions: { StringLike: { 's3:prefix': `${keyPrefix(task, 'Prefix')}*` } },
            },
          ];
        default:
          throw new UnmappedTaskError(task, `the S3 call ${operation} has no mapping`);
      }
    },
  },
  {
    resource: /^arn:aws:states:::events:putEvents(\.waitForTaskToken)?$/,
    permissions: (task, _match, targets) => {
      const entries = task.parameters.Entries;
      if (!Array.isArray(entries) || entries.length === 0) {
        throw new UnmappedTaskError(task, 'Entries must be a literal list naming the event bus of each entry');
      }
      const buses = entries.map((entry: unknown) => {
        const bus = (entry as Record<string, unknown>).EventBusName;
        const placeholder = typeof bus === 'string' ? /^\$\{(\w+)\}$/.exec(bus)?.[1] : undefined;
        const arn = placeholder === undefined ? undefined : targets.eventBuses[placeholder];
        if (arn === undefined) throw new UnmappedTaskError(task, 'every entry must name the vidp event bus in EventBusName');
        return arn;
      });
      return [{ actions: ['events:PutEvents'], resources: [...new Set(buses)] }];
    },
  },
];

/** What the definition's Task states call, merged: one entry per distinct action set, resource set and condition. */
export function permissionsForTasks(tasks: readonly AslTaskState[], targets: TaskTargets): TaskPermission[] {
  const merged = new Map<string, TaskPermission>();
  for (const task of tasks) {
    const integration = INTEGRATIONS.map((candidate) => ({ candidate, match: task.resource.match(candidate.resource) })).find(
      ({ match }) => match !== null,
    );
    if (integration === undefined) throw new UnmappedTaskError(task, 'this integration has no IAM mapping');
    for (const permission of integration.candidate.permissions(task, integration.match!, targets)) {
      const key = JSON.stringify([permission.actions, permission.resources, permission.conditions ?? null]);
      const existing = merged.get(key);
      if (existing === undefined) merged.set(key, { ...permission, states: [task.name] });
      else existing.states.push(task.name);
    }
  }
  return [...merged.values()];
}

// ---- reading Parameters ---------------------------------------------------------------------------

/** Whether a RunTask gives the task it creates tags: `Tags`, or `PropagateTags` other than NONE. */
function tagsTheTask(task: AslTaskState): boolean {
  const propagate = task.parameters.PropagateTags ?? task.parameters['PropagateTags.$'];
  return (propagate !== undefined && propagate !== 'NONE') || task.parameters.Tags !== undefined || task.parameters['Tags.$'] !== undefined;
}

function placeholderOf(task: AslTaskState, field: string): string | undefined {
  const value = task.parameters[field];
  return typeof value === 'string' ? /^\$\{(\w+)\}$/.exec(value)?.[1] : undefined;
}

function target(task: AslTaskState, field: string, known: Readonly<Record<string, string>>, kind: string): string {
  const placeholder = placeholderOf(task, field);
  const arn = placeholder === undefined ? undefined : known[placeholder];
  if (arn === undefined) {
    const expected = Object.keys(known).map((name) => `\${${name}}`).join(' or ');
    throw new UnmappedTaskError(task, `${field} must name a ${kind} the stack creates (${expected || 'none known'})`);
  }
  return arn;
}

/**
 * The key prefix a Task's object key is confined to: the literal start of `Key` (or `Prefix`), up to its last
 * `/`, from a plain string or a `States.Format('temp/{}/subtitles.srt', …)` template. A key the definition
 * takes from its input could be any key, so it gets no permission at all.
 */
function keyPrefix(task: AslTaskState, field: 'Key' | 'Prefix'): string {
  const literal = task.parameters[field];
  const expression = task.parameters[`${field}.$`];
  let fixedStart: string | undefined;
  if (typeof literal === 'string') fixedStart = literal;
  else if (typeof expression === 'string') fixedStart = /^States\.Format\('([^'{]*)/.exec(expression)?.[1];
  const prefix = fixedStart?.slice(0, fixedStart.lastIndexOf('/') + 1);
  if (!prefix) {
    throw new UnmappedTaskError(task, `${field} must start with a fixed prefix such as temp/ (a literal or States.Format('temp/{}/…'))`);
  }
  return prefix;
}

function pascalCase(operation: string): string {
  return operation.charAt(0).toUpperCase() + operation.slice(1);
}
