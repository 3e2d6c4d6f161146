import { readFileSync } from 'node:fs';
import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { repoPath } from '../lambda/handler-loader.ts';
import type { JsonValue } from '../json.ts';
import { LOCAL_SUBSTITUTIONS } from '../local-resources.ts';
import { assertEveryTaskIsIntegrated, taskHandlersFor, type TaskIntegrations } from './task-integration.ts';

/** The single definition of the pipeline, deployed by CDK and run here. */
export const PIPELINE_ASL_PATH = 'statemachine/pipeline.asl.json';

const PLACEHOLDER = /\$\{([A-Za-z0-9_]+)\}/g;

/** The `${Name}` placeholders of a definition, each once, in order of appearance. */
export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((match) => match[1]!))];
}

/**
 * Replaces `${Name}` placeholders as CloudFormation's definitionSubstitutions do (plain text). Throws naming
 * every placeholder without a value: a definition with a literal `${…}` left in it would only fail mid-run.
 */
export function substitutePlaceholders(text: string, values: Readonly<Record<string, string>>): string {
  const unfilled = placeholdersIn(text).filter((name) => !Object.hasOwn(values, name));
  if (unfilled.length > 0) throw new Error(`No value for placeholder(s): ${unfilled.map((name) => `\${${name}}`).join(', ')}`);
  return text.replace(PLACEHOLDER, (_placeholder, name: string) => values[name]!);
}

export function loadPipelineDefinition(substitutions: Readonly<Record<string, string>> = LOCAL_SUBSTITUTIONS): StateMachineDefinition {
  const text = readFileSync(repoPath(PIPELINE_ASL_PATH), 'utf8');
  return JSON.parse(substitutePlaceholders(text, substitutions)) as StateMachineDefinition;
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
