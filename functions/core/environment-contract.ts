import type { z } from 'zod';

/**
 * The environment a component reads is the input of its config schema: every variable it parses, each a
 * string as Lambda and ECS deliver it. Whoever builds that environment (the CDK stack, the task definition,
 * the local cloud) types it with EnvironmentOf, so a variable the component does not read is a compile
 * error; the ASL's ContainerOverrides, which TypeScript cannot see, is checked by a test against
 * variablesOf / requiredVariablesOf.
 */
export type EnvironmentOf<Schema extends z.ZodObject> = { [Name in keyof z.input<Schema>]?: string };

/** Every variable the schema reads. */
export function variablesOf(schema: z.ZodObject): string[] {
  return Object.keys(schema.shape);
}

/** The variables without a default: a component fails at start when one is missing. */
export function requiredVariablesOf(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape)
    .filter(([, field]) => !(field as z.ZodType).safeParse(undefined).success)
    .map(([name]) => name);
}
