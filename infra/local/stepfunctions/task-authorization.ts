import { randomBytes } from 'node:crypto';
import { taskFailureForDenial } from '../iam/access-denied.ts';
import type { AuthorizationRequest, AuthorizationResult } from '../iam/authorizer.ts';
import type { LocalAccount } from '../iam/local-arns.ts';
import { requiredActionsForTask, type RunTaskCall } from '../iam/required-actions.ts';
import { parametersObject, taskError, type TaskIntegrations } from './task-integration.ts';

/**
 * Every Task state's call, authorized under the state machine's role before its integration runs, as Step
 * Functions makes the call with that role's credentials: what the Task's Resource and Parameters need
 * (requiredActionsForTask: the call's own action, and for RunTask the roles it passes and the tags it puts
 * on the new task). A refusal fails the Task with the error Step Functions reports for it
 * (taskFailureForDenial: `ECS.AccessDeniedException`, `DynamoDB.AmazonDynamoDBException`…), which the ASL's
 * Retry and Catch meet as they would on AWS.
 */
export interface TaskAuthorization {
  account: LocalAccount;
  /** Decides the requests of one Task attempt of the named execution, under the state machine's role. */
  authorize(requests: readonly AuthorizationRequest[], executionName: string): Promise<AuthorizationResult>;
  /** The task role, execution role and tags of a registered task definition (by ARN or family). */
  taskDefinition(taskDefinition: string): RunTaskCall['taskDefinitionDetails'];
}

export function authorizedIntegrations(integrations: TaskIntegrations, authorization: TaskAuthorization): TaskIntegrations {
  return Object.fromEntries(
    Object.entries(integrations).map(([resource, integration]) => [
      resource,
      async (parameters, invocation) => {
        let ecsTaskId: string | undefined;
        const requests = requiredActionsForTask(invocation.task.resource, parametersObject(parameters, invocation.task.name), {
          account: authorization.account,
          taskDefinition: (taskDefinition) => authorization.taskDefinition(taskDefinition),
          newTaskId: () => (ecsTaskId = randomBytes(16).toString('hex')),
        });
        const result = await authorization.authorize(requests, invocation.execution.name);
        if (!result.allowed) {
          const failure = taskFailureForDenial(result.denial, invocation.task.resource);
          throw taskError(failure.error, failure.cause);
        }
        return integration(parameters, ecsTaskId === undefined ? invocation : { ...invocation, ecsTaskId });
      },
    ]),
  );
}
