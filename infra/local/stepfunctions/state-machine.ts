import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { readPipelineDefinition, substitutePlaceholders } from '../../shared/pipeline-definition.ts';
import type { JsonValue } from '../json.ts';
import { LOCAL_SUBSTITUTIONS } from '../local-resources.ts';
import { assertEveryTaskIsIntegrated, taskHandlersFor, type TaskIntegrations } from './task-integration.ts';

/** statemachine/pipeline.asl.json, the definition CDK deploys, with the local values in its placeholders. */
export function loadPipelineDefinition(substitutions: Readonly<Record<string, string>> = LOCAL_SUBSTITUTIONS): StateMachineDefinition {
  const filled = substitutePlaceholders(readPipelineDefinition(), substitutions, 'the local cloud (infra/local/local-resources.ts)');
  return JSON.parse(filled) as StateMachineDefinition;
}

/** The context object of one execution; aws-local-stepfunctions has no notion of it, so it is passed per run. */
export interface ExecutionContext {
  Execution: { Id: string; Name: string; StartTime: string; Input: JsonValue; RoleArn: string };
  StateMachine: { Id: string; Name: string };
  /** One token per execution: enough while a single `.waitForTaskToken` Task runs at a time. */
  Task: { Token: string };
}

export type WorkflowRun = ReturnType<StateMachine['run']>;

export interface Workflow {
  definition: StateMachineDefinition;
  run(input: JsonValue, context: ExecutionContext): WorkflowRun;
}

export type RetryIntervalOverrides = NonNullable<NonNullable<RunOptions['overrides']>['retryIntervalOverrides']>;

/**
 * The state machine, validated once (~150 ms), then run per execution with every Task served by the local
 * integration of its Resource. Throws at creation if a Task has none.
 */
export function createWorkflow(options: {
  definition: StateMachineDefinition;
  integrations: TaskIntegrations;
  /** Waits before retries, in ms by state name: tests set them to 0. */
  retryIntervalOverrides?: RetryIntervalOverrides;
}): Workflow {
  assertEveryTaskIsIntegrated(options.definition, options.integrations);
  const stateMachine = new StateMachine(options.definition);
  return {
    definition: options.definition,
    run(input, context) {
      return stateMachine.run(input, {
        context: context as unknown as NonNullable<RunOptions['context']>,
        overrides: {
          taskResourceLocalHandlers: taskHandlersFor(options.definition, options.integrations, {
            name: context.Execution.Name,
            taskToken: context.Task.Token,
          }),
          ...(options.retryIntervalOverrides === undefined ? {} : { retryIntervalOverrides: options.retryIntervalOverrides }),
        },
      });
    },
  };
}
