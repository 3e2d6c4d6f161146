import type { JsonValue } from '../json.ts';

/**
 * Local equivalents of the service integrations a Task state's `Resource` names. Each one really does the work
 * (DynamoDB call, Lambda handler, S3 call, worker process) and answers, or fails, the way the AWS integration
 * does: the same response shape, and errors named as Step Functions names them, so Retry/Catch behave alike.
 */
export interface TaskStateDefinition {
  Type: 'Task';
  Resource: string;
  HeartbeatSeconds?: number;
  TimeoutSeconds?: number;
}

export interface TaskInvocation {
  stateName: string;
  state: TaskStateDefinition;
  execution: { name: string; taskToken: string };
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

/** A state machine, or a Parallel branch / Map iterator inside one. */
export interface StatesContainer {
  States: Record<string, { Type: string }>;
}

interface NestingState {
  Branches?: StatesContainer[];
  Iterator?: StatesContainer;
  ItemProcessor?: StatesContainer;
}

/** Every Task state of a definition, including those inside Parallel branches and Map iterators. */
export function taskStatesOf(definition: StatesContainer): { stateName: string; state: TaskStateDefinition }[] {
  return Object.entries(definition.States).flatMap(([stateName, state]) => {
    if (state.Type === 'Task') return [{ stateName, state: state as unknown as TaskStateDefinition }];
    const { Branches = [], Iterator, ItemProcessor } = state as NestingState;
    const nested = [...Branches, ...[Iterator, ItemProcessor].filter((machine) => machine !== undefined)];
    return nested.flatMap(taskStatesOf);
  });
}

/** Fails at start, naming every Task whose resource has no local integration: better than mid-execution. */
export function assertEveryTaskIsIntegrated(definition: StatesContainer, integrations: TaskIntegrations): void {
  const missing = taskStatesOf(definition).filter(({ state }) => integrationFor(integrations, state.Resource) === undefined);
  if (missing.length > 0) {
    const list = missing.map(({ stateName, state }) => `${stateName} (${state.Resource})`).join(', ');
    throw new Error(`No local integration for the resource of Task state(s): ${list}`);
  }
}

/** aws-local-stepfunctions overrides Tasks by state name: one handler per Task state, bound to its execution. */
export function taskHandlersFor(
  definition: StatesContainer,
  integrations: TaskIntegrations,
  execution: TaskInvocation['execution'],
): Record<string, (parameters: JsonValue) => Promise<JsonValue>> {
  return Object.fromEntries(
    taskStatesOf(definition).map(({ stateName, state }) => {
      const integration = integrationFor(integrations, state.Resource);
      if (integration === undefined) throw new Error(`No local integration for ${state.Resource}`);
      return [stateName, (parameters: JsonValue) => integration(parameters, { stateName, state, execution })];
    }),
  );
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
