import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { cdkJsonContext } from '../../infra/shared/repository.ts';
import { stageSite } from '../../infra/aws/site-files.ts';
import { addVidpStacks, type VidpStacks } from '../../infra/aws/vidp-app.ts';

/**
 * The CDK app synthesized in-process, the way `npx cdk synth` builds it (cdk.json's context, plus the
 * test's), with two differences that only make it faster and more telling: Lambda bundling is skipped
 * (test/infra/cdk-cli.test.ts runs the real thing), and cdk-nag findings are collected from the
 * validation report instead of failing synthesis, so a test can name them.
 */
export interface SynthesizedVidp extends VidpStacks {
  stateful: VidpStacks['stateful'];
  statefulTemplate: Template;
  statelessTemplate: Template;
  validationReport: ValidationReport;
  /** Every acknowledged rule: where, which, and why. */
  acknowledgements: { path: string; id: string; reason: string }[];
  /** The cloud assembly directory (asset manifests, staged assets). */
  outdir: string;
  cleanUp(): void;
}

export interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; description?: string; severity?: string; violatingConstructs: { constructPath?: string }[] }[];
  }[];
}

export async function synthesizeVidp(context: Record<string, unknown> = {}): Promise<SynthesizedVidp> {
  const outdir = mkdtempSync(join(tmpdir(), 'vidp-cdk-'));
  // The page is really built, as by `npx cdk synth`: the site deploys what web/build.ts makes.
  const site = await stageSite();
  const app = new App({
    outdir,
    context: {
      ...cdkJsonContext(),
      ...context,
      'aws:cdk:bundling-stacks': [],
      '@aws-cdk/core:failSynthOnValidationErrors': false,
    },
  });
  let stacks: VidpStacks;
  let assembly: ReturnType<App['synth']>;
  try {
    stacks = addVidpStacks(app, { siteDir: site.dir });
    assembly = app.synth();
  } finally {
    site.remove();
  }
  const reportFile = join(assembly.directory, 'validation-report.json');
  const validationReport: ValidationReport = existsSync(reportFile)
    ? (JSON.parse(readFileSync(reportFile, 'utf8')) as ValidationReport)
    : { pluginReports: [] };
  const acknowledgements = app.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
        .map(([id, reason]) => ({ path: construct.node.path, id, reason })),
    );
  return {
    ...stacks,
    statefulTemplate: Template.fromStack(stacks.stateful),
    statelessTemplate: Template.fromStack(stacks.stateless),
    validationReport,
    acknowledgements,
    outdir,
    cleanUp: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** Every finding of the validation plugins (cdk-nag, CloudFormation's own rules), one line each. */
export function findingsOf(report: ValidationReport): string[] {
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((violation) =>
      violation.violatingConstructs.map(
        (construct) => `${plugin.pluginName} ${violation.ruleName} (${violation.severity}) at ${construct.constructPath ?? '?'}`,
      ),
    ),
  );
}

// ---- reading templates ----------------------------------------------------------------------------

export type Resources = Record<string, { Type: string; Properties?: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

export function resourcesOf(template: Template): Resources {
  return (template.toJSON() as { Resources: Resources }).Resources;
}

export interface PolicyStatementJson {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of every AWS::IAM::Policy attached to the role with this logical id. */
export function statementsOfRole(template: Template, roleLogicalId: string): PolicyStatementJson[] {
  return Object.values(resourcesOf(template))
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .filter((policy) => (policy.Properties!.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap((policy) => policy.Properties!.PolicyDocument.Statement as PolicyStatementJson[]);
}

export const actionsOf = (statement: PolicyStatementJson): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

export const resourcesOfStatement = (statement: PolicyStatementJson): unknown[] =>
  Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];

/**
 * vidp's own Lambda functions, each running a functions/ entry file (VidpFunction names it in the description),
 * by logical id: the stack's other functions are CDK's handlers for the web page's bucket.
 */
export function vidpFunctionsOf(template: Template): [string, Resources[string]][] {
  return Object.entries(resourcesOf(template)).filter(
    ([, resource]) => resource.Type === 'AWS::Lambda::Function' && String(resource.Properties!.Description).startsWith('vidp functions/'),
  );
}

/** The logical id of the only resource of `type` whose logical id starts with `prefix`. */
export function logicalIdOf(template: Template, type: string, prefix: string): string {
  const matches = Object.entries(resourcesOf(template))
    .filter(([id, resource]) => resource.Type === type && id.startsWith(prefix))
    .map(([id]) => id);
  if (matches.length !== 1) throw new Error(`Expected one ${type} named ${prefix}…, found ${matches.join(', ') || 'none'}`);
  return matches[0]!;
}
