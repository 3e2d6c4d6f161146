import { pipelineFunctionsOf, readPipelineDefinition } from '../shared/pipeline-definition.ts';
import { cdkJsonContext, functionModule } from '../shared/repository.ts';
import { firstTranscodeCapacity, namedResources, resourcePrefix, WORKER_CONTAINER_NAME } from '../shared/resources.ts';

/**
 * Names and ARNs of the local stand-ins for the AWS resources the CDK stacks create. The account id is the
 * conventional all-zero one of local AWS emulators, so an ARN printed in a log is never mistaken for a real one.
 */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/**
 * The local equivalent of your own AWS credentials (an administrator's long-term key): what tests, the demo
 * and you use to look into the local S3 and DynamoDB directly. The local cloud lets it do anything; every
 * part of the pipeline instead runs under its own role, with credentials of its own (iam/credentials.ts).
 */
export const LOCAL_ADMIN_CREDENTIALS = { accessKeyId: 'AKIAVIDPLOCALADMIN00', secretAccessKey: 'vidp-local-admin-secret-key' } as const;

/**
 * The stage the local cloud stands in for: cdk.json's, the context the policies it enforces are synthesized
 * with. The resources the CDK app names itself get the same names here (their policies spell them).
 */
const LOCAL_STAGE = String(cdkJsonContext().stage ?? 'dev');
const NAMED = namedResources(resourcePrefix(LOCAL_STAGE));

/** Left unnamed by the templates (CloudFormation would generate a name): local names, applied to the policies too. */
export const LOCAL_BUCKET = 'vidp-local-media';
export const LOCAL_TABLE = 'vidp-local-videos';

/**
 * The local name of each role, by the part it plays (the templates leave roles unnamed): a function's spec
 * name (`create-upload`), or stateMachine / ecsTask / ecsExecution / sourceUploadedRule.
 */
export function localRoleName(part: string): string {
  return `vidp-${ROLE_PARTS[part] ?? part}-role`;
}

const ROLE_PARTS: Record<string, string> = {
  stateMachine: 'pipeline',
  ecsTask: 'transcode-task',
  ecsExecution: 'transcode-execution',
  sourceUploadedRule: 'source-uploaded-rule',
};

export const STATE_MACHINE_NAME = NAMED.stateMachine;
export const STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stateMachine:${STATE_MACHINE_NAME}`;
export const STATE_MACHINE_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${localRoleName('stateMachine')}`;

export function executionArn(executionName: string): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:execution:${STATE_MACHINE_NAME}:${executionName}`;
}

const lambdaArn = (name: string) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${name}`;

/** The local name of the function of a spec (infra/aws/function-specs.ts): `vidp-{name}` (the templates leave it unnamed). */
export function localFunctionName(specName: string): string {
  return `vidp-${specName}`;
}

/** The local function that runs functions/{group}/{name}.ts: `vidp-{name}`. */
export function localFunctionOf(modulePath: string): { name: string; arn: string } {
  const name = localFunctionName(modulePath.slice(modulePath.lastIndexOf('/') + 1).replace(/\.ts$/, ''));
  return { name, arn: lambdaArn(name) };
}

/** The Lambda functions the workflow invokes, found in the ASL as the CDK app finds them, named `vidp-{name}`. */
const PIPELINE_FUNCTIONS = pipelineFunctionsOf(readPipelineDefinition()).map((fn) => ({ ...fn, arn: lambdaArn(localFunctionName(fn.name)) }));

/** Lambda functions the workflow invokes, by the ARN the ASL receives, with the module that serves each. */
export const LOCAL_LAMBDA_FUNCTIONS: Readonly<Record<string, string>> = Object.fromEntries(
  PIPELINE_FUNCTIONS.map((fn) => [fn.arn, functionModule('pipeline', fn.name)]),
);

export const LOCAL_CLUSTER_ARN = `arn:aws:ecs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:cluster/vidp-local`;
export const TRANSCODE_TASK_DEFINITION_ARN = `arn:aws:ecs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:task-definition/${NAMED.transcodeTaskFamily}:1`;
/** Where the workflow publishes VideoSaved / VideoFailed; locally a bus that logs and keeps them. */
export const LOCAL_EVENT_BUS_NAME = NAMED.eventBus;
/** The scheduled cleanup function (an EventBridge schedule invokes it on AWS, the local scheduler here). */
export const CLEANUP_FUNCTION_MODULE = functionModule('maintenance', 'cleanup');
/** Takes Step Functions' status events of executions that ended without recording it. */
export const RECONCILE_FUNCTION_MODULE = functionModule('maintenance', 'reconcile-execution');

/**
 * The values CDK passes as `definitionSubstitutions`, locally. Every `${Placeholder}` of
 * statemachine/pipeline.asl.json must have one (a test checks it; loading the workflow fails otherwise).
 */
export const LOCAL_SUBSTITUTIONS: Readonly<Record<string, string>> = {
  MediaBucket: LOCAL_BUCKET,
  VideosTable: LOCAL_TABLE,
  ...Object.fromEntries(PIPELINE_FUNCTIONS.map((fn) => [fn.placeholder, fn.arn])),
  ClusterArn: LOCAL_CLUSTER_ARN,
  TranscodeTaskDefinitionArn: TRANSCODE_TASK_DEFINITION_ARN,
  WorkerContainerName: WORKER_CONTAINER_NAME,
  EventBusName: LOCAL_EVENT_BUS_NAME,
  // The local ECS runner has no network to place the task in; these only keep the Parameters well-formed.
  SubnetA: 'subnet-00000000000000001',
  SubnetB: 'subnet-00000000000000002',
  WorkerSecurityGroupId: 'sg-00000000000000001',
  // Spot first, as the deploy's default; startLocalCloud({ fargateSpot: false }) puts FARGATE here.
  TranscodeCapacityProvider: firstTranscodeCapacity(true),
};
