import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { LocalEcsRunner } from './ecs-runner.ts';
import type { Handler } from './handler-modules.ts';
import { awsSdkS3Integrations } from './integrations/aws-sdk-s3.ts';
import { dynamoDbIntegrations } from './integrations/dynamodb.ts';
import { eventBridgeIntegrations, type LocalEventBus } from './integrations/eventbridge.ts';
import { lambdaInvokeIntegration } from './integrations/lambda.ts';
import { LOCAL_LAMBDA_FUNCTIONS } from './local-resources.ts';
import type { TaskIntegrations } from './task-integrations.ts';

/** Every service integration the local cloud offers, by the Task resource ARN it serves. */
export function createLocalIntegrations(deps: {
  dynamodb: DynamoDBClient;
  s3: S3Client;
  loadHandler: (modulePath: string) => Promise<Handler>;
  ecs: Pick<LocalEcsRunner, 'runTaskAndWaitForTaskToken'>;
  events: LocalEventBus;
}): TaskIntegrations {
  return {
    ...dynamoDbIntegrations(deps.dynamodb),
    ...awsSdkS3Integrations(deps.s3),
    ...lambdaInvokeIntegration({ functions: LOCAL_LAMBDA_FUNCTIONS, loadHandler: deps.loadHandler }),
    ...eventBridgeIntegrations(deps.events),
    'arn:aws:states:::ecs:runTask.waitForTaskToken': deps.ecs.runTaskAndWaitForTaskToken,
  };
}
