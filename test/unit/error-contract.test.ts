import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { describeFailure } from '../../functions/core/describe-failure.ts';
import { PIPELINE_ERRORS } from '../../functions/core/errors.ts';

/**
 * The error names statemachine/pipeline.asl.json matches in Retry and Catch are a contract between three
 * parties: Step Functions (its own States.* names and the names it gives a service integration's failures),
 * our code (the names our errors carry), and the README (what a user is told about each code).
 */
const asl = JSON.parse(readFileSync(new URL('../../statemachine/pipeline.asl.json', import.meta.url), 'utf8')) as AslMachine;
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

interface AslState {
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[] }[];
  Iterator?: AslMachine;
  ItemProcessor?: AslMachine;
  Branches?: AslMachine[];
}
interface AslMachine {
  States: Record<string, AslState>;
}

/**
 * Error names AWS documents for what this ASL calls. Step Functions reports a service integration's failure
 * as `<Service>.<the Java SDK's exception class>`: DynamoDB's `RequestLimitExceeded` error arrives as
 * `DynamoDB.RequestLimitExceededException`, and errors the SDK has no class for (ThrottlingException) as
 * `DynamoDB.AmazonDynamoDBException`.
 */
const DOCUMENTED_AWS_ERRORS = new Set([
  // Amazon States Language
  'States.ALL', 'States.Timeout', 'States.HeartbeatTimeout', 'States.TaskFailed', 'States.Permissions',
  'States.ResultPathMatchFailure', 'States.ParameterPathFailure', 'States.BranchFailed', 'States.NoChoiceMatched',
  'States.IntrinsicFailure', 'States.ExceedToleratedFailureThreshold', 'States.ItemReaderFailed',
  'States.ResultWriterFailed', 'States.Runtime',
  // Lambda invoke (the transient ones Step Functions recommends retrying)
  'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException', 'Lambda.ClientExecutionTimeoutException', 'Lambda.Unknown',
  // DynamoDB
  'DynamoDB.AmazonDynamoDBException', 'DynamoDB.ConditionalCheckFailedException',
  'DynamoDB.InternalServerErrorException', 'DynamoDB.ItemCollectionSizeLimitExceededException',
  'DynamoDB.LimitExceededException', 'DynamoDB.ProvisionedThroughputExceededException',
  'DynamoDB.RequestLimitExceededException', 'DynamoDB.ResourceNotFoundException',
  'DynamoDB.TransactionConflictException', 'DynamoDB.SdkClientException',
  // ECS RunTask (AmazonECS.Unknown: a RunTask answered with a non-empty `failures` list)
  'ECS.AmazonECSException', 'ECS.ServerException', 'ECS.ClientException', 'ECS.AccessDeniedException',
  'ECS.InvalidParameterException', 'ECS.PlatformUnknownException', 'ECS.ClusterNotFoundException',
  'ECS.SdkClientException', 'AmazonECS.Unknown',
]);

function errorNamesIn(machine: AslMachine, kind: 'Retry' | 'Catch'): string[] {
  return Object.values(machine.States).flatMap((state) => [
    ...(state[kind] ?? []).flatMap((rule) => rule.ErrorEquals),
    ...[state.Iterator, state.ItemProcessor, ...(state.Branches ?? [])].flatMap((inner) => (inner ? errorNamesIn(inner, kind) : [])),
  ]);
}

const ours = PIPELINE_ERRORS.map(({ error: ErrorClass, retried }) => ({ instance: new ErrorClass('from the contract test'), retried }));
const ourNames: ReadonlySet<string> = new Set(ours.map(({ instance }) => instance.name));
/**
 * Retried: matched by a Retry, or caught by a Catch that leads back to the same state through Choice and Pass
 * states only (the Spot fallback: a Retry cannot change Parameters, so the Transcode Catch routes the
 * interruption through FallBackToOnDemand and back).
 */
function namesCaughtBackInto(machine: AslMachine): string[] {
  const leadsBackTo = (target: string, from: string, seen = new Set<string>()): boolean => {
    if (from === target) return true;
    const state = machine.States[from] as AslState & { Type?: string; Next?: string; Default?: string; Choices?: { Next: string }[] };
    if (state === undefined || seen.has(from) || (state.Type !== 'Choice' && state.Type !== 'Pass')) return false;
    seen.add(from);
    const next = [state.Next, state.Default, ...(state.Choices ?? []).map((choice) => choice.Next)].filter((name): name is string => name !== undefined);
    return next.some((name) => leadsBackTo(target, name, seen));
  };
  return Object.entries(machine.States).flatMap(([name, state]) =>
    ((state.Catch ?? []) as { ErrorEquals: string[]; Next: string }[])
      .filter((rule) => leadsBackTo(name, rule.Next))
      .flatMap((rule) => rule.ErrorEquals),
  );
}
const retriedNames = new Set([...errorNamesIn(asl, 'Retry'), ...namesCaughtBackInto(asl)]);

/** The README's table: `| \`code\` | where | what to do |`. */
const readmeCodes = new Map(
  [...readme.matchAll(/^\| `([a-z_]+)` \| ([^|]+) \|/gm)].map((match) => [match[1]!, match[2]!.trim()] as const),
);

describe('the error contract between the ASL, our errors and the README', () => {
  it.each([...new Set([...errorNamesIn(asl, 'Retry'), ...errorNamesIn(asl, 'Catch')])])(
    'the ASL matches %s, a documented AWS error or one of ours',
    (name) => {
      expect(DOCUMENTED_AWS_ERRORS.has(name) || ourNames.has(name)).toBe(true);
    },
  );

  it.each(ours.map(({ instance, retried }) => [instance.name, retried] as const))(
    '%s is retried by the ASL exactly when it is declared retried (%s)',
    (name, retried) => {
      expect(retriedNames.has(name)).toBe(retried);
    },
  );

  it.each(ours.map(({ instance }) => [instance.name, instance.code] as const))(
    '%s ends a job with code %s, which the README tells users about as a failed job',
    (name, code) => {
      expect(describeFailure({ Error: name }).code).toBe(code);
      expect(readmeCodes.get(code)).toMatch(/failed job/);
    },
  );

  it('keeps every error name when the bundler renames classes (names are literals, not class names)', async () => {
    const bundled = await build({
      entryPoints: [new URL('../../functions/core/errors.ts', import.meta.url).pathname],
      bundle: true,
      write: false,
      format: 'esm',
      minify: true,
      keepNames: false,
    });
    const url = `data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0]!.text).toString('base64')}`;
    const minified = (await import(url)) as { PIPELINE_ERRORS: typeof PIPELINE_ERRORS };
    const minifiedNames = minified.PIPELINE_ERRORS.map(({ error: ErrorClass }) => new ErrorClass('').name);
    expect(minifiedNames).toEqual(ours.map(({ instance }) => instance.name));
    expect(minified.PIPELINE_ERRORS.some(({ error }) => error.name !== new error('').name)).toBe(true);
  });
});
