import { readFileSync } from 'node:fs';
import { PIPELINE_DEFINITION_FILE } from '../repo-paths.ts';

/**
 * Reading statemachine/pipeline.asl.json, the one definition of the workflow, as the CDK app needs it:
 * its `${Placeholder}`s (filled by definitionSubstitutions) and its Task states (what the role must allow).
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
 * The substitutions the definition uses, taken from everything the stack can provide. A placeholder the
 * stack cannot fill fails synthesis here: CloudFormation would otherwise deploy a literal `${Name}` that only
 * fails when an execution reaches it.
 */
export function substitutionsFor(definition: string, available: Readonly<Record<string, string>>): Record<string, string> {
  const placeholders = placeholdersIn(definition);
  const unknown = placeholders.filter((name) => !Object.hasOwn(available, name));
  if (unknown.length > 0) {
    throw new Error(
      `statemachine/pipeline.asl.json uses ${unknown.map((name) => `\${${name}}`).join(', ')}, which the CDK app ` +
        `does not provide. Known: ${Object.keys(available).join(', ')} (infra/aws/constructs/pipeline-workflow.ts).`,
    );
  }
  return Object.fromEntries(placeholders.map((name) => [name, available[name]!]));
}

export interface AslTaskState {
  name: string;
  resource: string;
  /** JSONPath `Parameters` (the ASL is JSONPath only; see ARCHITECTURE.md). */
  parameters: Record<string, unknown>;
}

interface AslStates {
  States?: Record<string, AslState>;
}
interface AslState {
  Type?: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Branches?: AslStates[];
  Iterator?: AslStates;
  ItemProcessor?: AslStates;
}

/** Every Task state, including those inside Parallel branches and Map iterators. */
export function taskStatesOf(definition: string | AslStates): AslTaskState[] {
  const root = typeof definition === 'string' ? (JSON.parse(definition) as AslStates) : definition;
  const tasks: AslTaskState[] = [];
  const visit = (machine: AslStates | undefined) => {
    for (const [name, state] of Object.entries(machine?.States ?? {})) {
      if (state.Type === 'Task') {
        if (typeof state.Resource !== 'string') throw new Error(`Task state ${name} has no Resource`);
        tasks.push({ name, resource: state.Resource, parameters: state.Parameters ?? {} });
      }
      state.Branches?.forEach(visit);
      visit(state.Iterator);
      visit(state.ItemProcessor);
    }
  };
  visit(root);
  return tasks;
}
