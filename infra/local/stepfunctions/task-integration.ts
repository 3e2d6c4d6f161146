import { taskStatesOf, type AslTaskState } from '../../shared/pipeline-definition.ts';
import type { JsonValue } from '../json.ts';

/**
 * Local equivalents of the service integrations a Task state's `Resource` names. Each one really does the work
 * (DynamoDB call, Lambda handler, S3 call, worker process) and answers, or fails, the way the AWS integration
 * does: the same response shape, and errors named as Step Functions names them, so Retry/Catch behave alike.
 */
export interface TaskInvocation {
  /** The Task state being run, as the definition declares it. */
  task: AslTaskState;
  execution: { name: string; taskToken: string };
  /** ecs:runTask: the id of the task it starts, minted before IAM decided on it (ecs:TagResource is on the task's ARN). */
  ecsTaskId?: string;
}

export type TaskIntegration = (parameters: JsonValue, invocation: TaskInvocation) => Promise<JsonValue>;

/**
 * Integrations by resource ARN. A key ending in `:*` serves every action of an AWS SDK service integration
 * (`arn:aws:states:::aws-sdk:s3:*` serves `…:s3:deleteObject`, `…:s3:copyObject`, …).
 */
export type TaskIntegrations = Record<string, TaskIntegration>;

export function integrationFor(integrations: TaskIntegrations, resource: string): TaskIntegration | undefined {
  const exact = integrations[resource];
  if (exact !== undefined) return exact;
  const sdkService = /^(arn:aws:states:::aws-sdk:[a-z0-9]+:)[A-Za-z0-9]+$/.exec(resource);
  return sdkService ? integrations[`${sdkService[1]}*`] : undefined;
}

/** Fails at start, naming every Task whose resource has no local integration: better than mid-execution. */
export function assertEveryTaskIsIntegrated(definition: object, integrations: TaskIntegrations): void {
  const missing = taskStatesOf(definition).filter((task) => integrationFor(integrations, task.resource) === undefined);
  if (missing.length > 0) {
    const list = missing.map((task) => `${task.name} (${task.resource})`).join(', ');
    throw new Error(`No local integration for the resource of Task state(s): ${list}`);
  }
}

/**
 * aws-local-stepfunctions overrides Tasks by state name: one handler per Task state, bound to its execution.
 * Each call is one attempt (a retry calls it again) and gets a task token of its own in place of the
 * context's placeholder, as Step Functions issues a new token per attempt: a worker of an earlier attempt
 * that reports late holds a token nobody waits on any more.
 */
export function taskHandlersFor(
  definition: object,
  integrations: TaskIntegrations,
  execution: { name: string; taskTokenPlaceholder: string; mintTaskToken: () => string },
): Record<string, (parameters: JsonValue) => Promise<JsonValue>> {
  return Object.fromEntries(
    taskStatesOf(definition).map((task) => {
      const integration = integrationFor(integrations, task.resource);
      if (integration === undefined) throw new Error(`No local integration for ${task.resource}`);
      return [
        task.name,
        (parameters: JsonValue) => {
          const taskToken = execution.mintTaskToken();
          const withToken = replaceString(parameters, execution.taskTokenPlaceholder, taskToken);
          return integration(withToken, { task, execution: { name: execution.name, taskToken } });
        },
      ];
    }),
  );
}

function replaceString(value: JsonValue, placeholder: string, replacement: string): JsonValue {
  if (typeof value === 'string') return value === placeholder ? replacement : value;
  if (Array.isArray(value)) return value.map((item) => replaceString(item, placeholder, replacement));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceString(item, placeholder, replacement)]));
  }
  return value;
}

/** An error as a Task state reports it: `name` is the Error that Retry/Catch match, `message` the Cause. */
export function taskError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/** Parameters of a Task, which the integrations expect to be an object (as the AWS APIs do). */
export function parametersObject(parameters: JsonValue, stateName: string): Record<string, JsonValue> {
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
    throw taskError('States.Runtime', `The Parameters of Task state ${stateName} must be an object`);
  }
  return parameters;
}
