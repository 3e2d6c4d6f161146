import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerTaskEnvironmentSchema } from '../../containers/ffmpeg/src/config.ts';
import { CleanupConfigSchema, ConfigSchema, CursorConfigSchema, SubtitleFetchConfigSchema } from '../../functions/core/config.ts';
import { requiredVariablesOf, variablesOf } from '../../functions/core/environment-contract.ts';
import { synthesizeVidp, vidpFunctionsOf, type SynthesizedVidp } from './synthesize.ts';

/**
 * What the stack puts in each environment against what the code that runs there parses: a variable nobody
 * reads is a typo or a leftover (and, for a secret, an exposure); a required one that is missing fails at
 * cold start on the first deploy.
 */
let vidp: SynthesizedVidp;
beforeAll(async () => {
  vidp = await synthesizeVidp();
});
afterAll(() => vidp?.cleanUp());

/** Set by the platform or the runtime for itself, or read by Powertools (POWERTOOLS_*), not by vidp's config schemas. */
const RUNTIME_VARIABLES = ['NODE_OPTIONS', 'AWS_NODEJS_CONNECTION_REUSE_ENABLED'];
const isPlatformVariable = (name: string) => RUNTIME_VARIABLES.includes(name) || name.startsWith('POWERTOOLS_');

type Resource = { Properties: Record<string, unknown> };

describe('environment contract of the deployed components', () => {
  it('gives each Lambda function only variables vidp\'s config schemas read, and every variable they require', () => {
    const known = new Set([ConfigSchema, CursorConfigSchema, SubtitleFetchConfigSchema, CleanupConfigSchema].flatMap(variablesOf));
    // CDK's handlers for the web page's bucket run none of vidp's code (vidp-stacks.test.ts names them).
    const functions = vidpFunctionsOf(vidp.statelessTemplate) as [string, Resource][];
    expect(functions.length).toBeGreaterThan(5);
    for (const [id, fn] of functions) {
      const names = Object.keys((fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
      expect(names.filter((name) => !known.has(name) && !isPlatformVariable(name)), id).toEqual([]);
      expect(requiredVariablesOf(ConfigSchema).filter((name) => !names.includes(name)), id).toEqual([]);
    }
  });

  it('gives the worker\'s container only variables the worker reads, and every fixed one it requires', () => {
    const [taskDefinition] = Object.values(vidp.statelessTemplate.findResources('AWS::ECS::TaskDefinition') as Record<string, Resource>);
    const containers = taskDefinition!.Properties.ContainerDefinitions as { Environment?: { Name: string }[] }[];
    const names = containers.flatMap((container) => (container.Environment ?? []).map((variable) => variable.Name));
    expect(names.filter((name) => !variablesOf(WorkerTaskEnvironmentSchema).includes(name) && !isPlatformVariable(name))).toEqual([]);
    expect(requiredVariablesOf(WorkerTaskEnvironmentSchema).filter((name) => !names.includes(name))).toEqual([]);
  });
});
