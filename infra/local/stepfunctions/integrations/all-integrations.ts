import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { LocalEcsRunner } from '../../ecs/task-runner.ts';
import type { LocalEventBus } from '../../events/event-bus.ts';
import type { Handler } from '../../lambda/handler.ts';
import { LOCAL_LAMBDA_FUNCTIONS } from '../../local-resources.ts';
import type { TaskIntegrations } from '../task-integration.ts';
import { awsSdkS3Integrations } from './aws-sdk-s3.ts';
import { dynamoDbIntegrations } from './dynamodb.ts';
import { eventBridgeIntegrations } from './eventbridge.ts';
import { lambdaInvokeIntegration } from './lambda.ts';

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
