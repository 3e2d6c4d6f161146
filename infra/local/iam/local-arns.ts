import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../local-resources.ts';

/**
 * The ARNs of the local cloud: partition `aws`, one region and one account. The same builders serve the
 * CloudFormation resolver (what `Fn::GetAtt X.Arn` becomes locally) and the authorization rules (what a
 * call's resource is), so a policy and a request can only agree or disagree on purpose.
 */
export interface LocalAccount {
  partition: 'aws';
  region: string;
  accountId: string;
}

export const DEFAULT_LOCAL_ACCOUNT: LocalAccount = { partition: 'aws', region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID };

export function localArns(account: LocalAccount = DEFAULT_LOCAL_ACCOUNT) {
  const { partition, region, accountId } = account;
  const regional = (service: string, resource: string) => `arn:${partition}:${service}:${region}:${accountId}:${resource}`;
  return {
    account,
    s3Bucket: (bucket: string) => `arn:${partition}:s3:::${bucket}`,
    s3Object: (bucket: string, key: string) => `arn:${partition}:s3:::${bucket}/${key}`,
    dynamoDbTable: (table: string) => regional('dynamodb', `table/${table}`),
    dynamoDbIndex: (table: string, index: string) => regional('dynamodb', `table/${table}/index/${index}`),
    lambdaFunction: (name: string, qualifier?: string) =>
      regional('lambda', `function:${name}${qualifier === undefined ? '' : `:${qualifier}`}`),
    iamRole: (name: string, path = '/') => `arn:${partition}:iam::${accountId}:role${path}${name}`,
    assumedRole: (roleName: string, sessionName: string) => `arn:${partition}:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
    ecsCluster: (name: string) => regional('ecs', `cluster/${name}`),
    /** A capacity provider, FARGATE and FARGATE_SPOT included (what `ecs:capacity-provider` is compared with). */
    ecsCapacityProvider: (name: string) => regional('ecs', `capacity-provider/${name}`),
    ecsTaskDefinition: (familyAndRevision: string) => regional('ecs', `task-definition/${familyAndRevision}`),
    /** With `@aws-cdk/aws-ecs:arnFormatIncludesClusterName` (cdk.json), the long ARN format ECS uses today. */
    ecsTask: (cluster: string, taskId: string) => regional('ecs', `task/${cluster}/${taskId}`),
    stateMachine: (name: string) => regional('states', `stateMachine:${name}`),
    execution: (stateMachineName: string, executionName: string) => regional('states', `execution:${stateMachineName}:${executionName}`),
    eventBus: (name: string) => regional('events', `event-bus/${name}`),
    secret: (name: string) => regional('secretsmanager', `secret:${name}`),
    logGroup: (name: string) => regional('logs', `log-group:${name}:*`),
    sqsQueue: (name: string) => regional('sqs', name),
    snsTopic: (name: string) => regional('sns', name),
  };
}

export type LocalArns = ReturnType<typeof localArns>;

