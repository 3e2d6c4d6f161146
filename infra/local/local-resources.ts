import { pipelineFunctionsOf, readPipelineDefinition } from '../shared/pipeline-definition.ts';
import { functionModule } from '../shared/repository.ts';
import { WORKER_CONTAINER_NAME } from '../shared/resources.ts';

/**
 * Names and ARNs of the local stand-ins for the AWS resources the CDK stacks create. The account id is the
 * conventional all-zero one of local AWS emulators, so an ARN printed in a log is never mistaken for a real one.
 */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/** The local S3 verifies every signature against this key pair (s3/strict-s3-middlewares.ts). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export const LOCAL_BUCKET = 'vidp-local-media';
export const LOCAL_TABLE = 'vidp-local-videos';

export const STATE_MACHINE_NAME = 'vidp-pipeline';
export const STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stateMachine:${STATE_MACHINE_NAME}`;
export const STATE_MACHINE_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${STATE_MACHINE_NAME}-role`;

export function executionArn(executionName: string): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:execution:${STATE_MACHINE_NAME}:${executionName}`;
}

const lambdaArn = (name: string) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${name}`;

/** The local function that runs functions/{group}/{name}.ts: `vidp-{name}`, as the CDK app names them. */
export function localFunctionOf(modulePath: string): { name: string; arn: string } {
  const name = `vidp-${modulePath.slice(modulePath.lastIndexOf('/') + 1).replace(/\.ts$/, '')}`;
  return { name, arn: lambdaArn(name) };
}

/** The Lambda functions the workflow invokes, found in the ASL as the CDK app finds them, named `vidp-{name}`. */
const PIPELINE_FUNCTIONS = pipelineFunctionsOf(readPipelineDefinition()).map((fn) => ({ ...fn, arn: lambdaArn(`vidp-${fn.name}`) }));

/** Lambda functions the workflow invokes, by the ARN the ASL receives, with the module that serves each. */
export const LOCAL_LAMBDA_FUNCTIONS: Readonly<Record<string, string>> = Object.fromEntries(
  PIPELINE_FUNCTIONS.map((fn) => [fn.arn, functionModule('pipeline', fn.name)]),
);

export const LOCAL_CLUSTER_ARN = `arn:aws:ecs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:cluster/vidp-local`;
export const TRANSCODE_TASK_DEFINITION_ARN = `arn:aws:ecs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:task-definition/vidp-transcode:1`;
/** Where the workflow publishes VideoSaved / VideoFailed; locally a bus that logs and keeps them. */
export const LOCAL_EVENT_BUS_NAME = 'vidp-local-events';
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
};
