import { readFileSync } from 'node:fs';
import { PIPELINE_DEFINITION_FILE } from './repository.ts';

/**
 * Reading statemachine/pipeline.asl.json, the one definition of the workflow, as both clouds need it: its
 * `${Placeholder}`s (filled by CDK's definitionSubstitutions on AWS, by the local cloud's values here), its
 * Task states (what the role must allow; what the local cloud must serve) and the Lambda functions it invokes.
 */
export function readPipelineDefinition(file = PIPELINE_DEFINITION_FILE): string {
  return readFileSync(file, 'utf8');
}

const PLACEHOLDER = /\$\{([A-Za-z0-9_]+)\}/g;

/** The `${Name}` placeholders of a definition, each once, in order of appearance. */
export function placeholdersIn(definition: string): string[] {
  return [...new Set([...definition.matchAll(PLACEHOLDER)].map((match) => match[1]!))];
}

/**
 * The substitutions the definition uses, taken from everything `provider` can give. A placeholder without a
 * value fails here, naming each: a definition with a literal `${Name}` left in it only fails when an
 * execution reaches it.
 */
export function substitutionsFor(
  definition: string,
  available: Readonly<Record<string, string>>,
  provider = 'the caller',
): Record<string, string> {
  const placeholders = placeholdersIn(definition);
  const unknown = placeholders.filter((name) => !Object.hasOwn(available, name));
  if (unknown.length > 0) {
    throw new Error(
      `statemachine/pipeline.asl.json uses ${unknown.map((name) => `\${${name}}`).join(', ')}, which ${provider} ` +
        `does not provide. Known: ${Object.keys(available).join(', ')}.`,
    );
  }
  return Object.fromEntries(placeholders.map((name) => [name, available[name]!]));
}

/** The definition with every `${Name}` replaced, as CloudFormation's definitionSubstitutions do (plain text). */
export function substitutePlaceholders(definition: string, values: Readonly<Record<string, string>>, provider?: string): string {
  const substitutions = substitutionsFor(definition, values, provider);
  return definition.replace(PLACEHOLDER, (_placeholder, name: string) => substitutions[name]!);
}

export interface AslTaskState {
  name: string;
  resource: string;
  /** JSONPath `Parameters` (the ASL is JSONPath only; see ARCHITECTURE.md). */
  parameters: Record<string, unknown>;
  heartbeatSeconds?: number;
  timeoutSeconds?: number;
}

interface AslStates {
  States?: Record<string, AslState>;
}
interface AslState {
  Type?: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  HeartbeatSeconds?: number;
  TimeoutSeconds?: number;
  Branches?: AslStates[];
  Iterator?: AslStates;
  ItemProcessor?: AslStates;
}

/** Every Task state, including those inside Parallel branches and Map iterators. */
export function taskStatesOf(definition: string | object): AslTaskState[] {
  const root = (typeof definition === 'string' ? JSON.parse(definition) : definition) as AslStates;
  const tasks: AslTaskState[] = [];
  const visit = (machine: AslStates | undefined) => {
    for (const [name, state] of Object.entries(machine?.States ?? {})) {
      if (state.Type === 'Task') {
        if (typeof state.Resource !== 'string') throw new Error(`Task state ${name} has no Resource`);
        tasks.push({
          name,
          resource: state.Resource,
          parameters: state.Parameters ?? {},
          ...(state.HeartbeatSeconds === undefined ? {} : { heartbeatSeconds: state.HeartbeatSeconds }),
          ...(state.TimeoutSeconds === undefined ? {} : { timeoutSeconds: state.TimeoutSeconds }),
        });
      }
      state.Branches?.forEach(visit);
      visit(state.Iterator);
      visit(state.ItemProcessor);
    }
  };
  visit(root);
  return tasks;
}

/** A Lambda function the workflow invokes: `${PrepareSubtitlesFunctionArn}` is served by functions/pipeline/prepare-subtitles.ts. */
export interface PipelineFunction {
  placeholder: string;
  /** kebab-case: the file name under functions/pipeline/ and the end of the function's name. */
  name: string;
}

/** The ASL names each Lambda task `${PascalNameFunctionArn}`; functions/pipeline/{kebab-name}.ts serves it. */
export function pipelineFunctionsOf(definition: string): PipelineFunction[] {
  return placeholdersIn(definition).flatMap((placeholder) => {
    const name = /^(\w+)FunctionArn$/.exec(placeholder)?.[1];
    return name === undefined ? [] : [{ placeholder, name: kebabCase(name) }];
  });
}

function kebabCase(pascal: string): string {
  return pascal.replace(/(?<!^)([A-Z])/g, '-$1').toLowerCase();
}
