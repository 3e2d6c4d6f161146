import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { API_FUNCTIONS, MAINTENANCE_FUNCTIONS, PIPELINE_FUNCTIONS } from '../../aws/function-specs.ts';
import { cdkJsonContext } from '../../shared/repository.ts';
import { addVidpStacks, type VidpStacks } from '../../aws/vidp-app.ts';
import type { CfnTemplate } from './cloudformation-resolver.ts';

/**
 * The CDK app synthesized in-process, as `npx cdk synth` builds it from cdk.json, reduced to what local
 * authorization needs: each stack's template, and which template resources play which part (whose role a
 * handler runs under, which bucket is the media bucket). Loaded only when the policy cache is cold: it
 * brings aws-cdk-lib into the process.
 */
export interface LogicalRef {
  stackName: string;
  logicalId: string;
}

export interface SynthesizedFunction {
  /** functions/{group}/{name}.ts, the module the local cloud loads for it. */
  module: string;
  function: LogicalRef;
  role: LogicalRef;
}

export interface IamSources {
  templates: Record<string, CfnTemplate>;
  /** By function spec name (infra/aws/function-specs.ts): `create-upload`, `prepare-subtitles`, `cleanup`… */
  functions: Record<string, SynthesizedFunction>;
  roles: {
    stateMachine: LogicalRef;
    ecsTask: LogicalRef;
    ecsExecution: LogicalRef;
    /** The role the "source uploaded" EventBridge rule starts executions with. */
    sourceUploadedRule: LogicalRef;
  };
  resources: {
    mediaBucket: LogicalRef;
    videosTable: LogicalRef;
    stateMachine: LogicalRef;
    cluster: LogicalRef;
    taskDefinition: LogicalRef;
    eventBus: LogicalRef;
    cursorSecret?: LogicalRef;
  };
}

export interface SynthesisOptions {
  /** Extra context over cdk.json's (`-c name=value`). */
  context?: Record<string, unknown>;
  /**
   * Changes the app after it is built and before it is synthesized: tests take a grant away here to see the
   * local path that needs it fail. A customized synthesis is never cached.
   */
  customizeApp?: (stacks: VidpStacks, app: App) => void;
}

export function synthesizeIamSources(options: SynthesisOptions = {}): IamSources {
  const outdir = mkdtempSync(join(tmpdir(), 'vidp-iam-'));
  // The page's files shape no policy (like the Lambda bundles skipped below): the site deploys an empty folder.
  const siteDir = mkdtempSync(join(tmpdir(), 'vidp-iam-site-'));
  try {
    const app = new App({
      outdir,
      context: {
        ...cdkJsonContext(),
        ...options.context,
        // Lambda bundling and asset copies shape no policy; skipping them saves most of a synth.
        'aws:cdk:bundling-stacks': [],
        'aws:cdk:disable-asset-staging': true,
        // cdk-nag findings are for `cdk synth` to refuse; the local cloud still runs what the app grants.
        '@aws-cdk/core:failSynthOnValidationErrors': false,
      },
    });
    const stacks = addVidpStacks(app, { siteDir });
    options.customizeApp?.(stacks, app);
    const assembly = app.synth();
    const templates = Object.fromEntries(
      [stacks.stateful, stacks.stateless].map((stack) => [stack.stackName, assembly.getStackByName(stack.stackName).template as CfnTemplate]),
    );
    return { templates, ...partsOf(stacks) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
    rmSync(siteDir, { recursive: true, force: true });
  }
}

function partsOf({ stateful, stateless }: VidpStacks): Omit<IamSources, 'templates'> {
  const { worker, workflow, eventBus } = stateless;
  const eventsRole = workflow.stateMachine.node.tryFindChild('EventsRole');
  if (eventsRole === undefined) throw new Error('The state machine has no EventsRole: how does the upload rule start it?');
  const cursorSecret = stateless.node.tryFindChild('CursorSecret');
  return {
    functions: Object.fromEntries(
      Object.entries(stateless.functions).map(([name, fn]) => [
        name,
        { module: `functions/${groupOf(name)}/${name}.ts`, function: refOf(fn), role: refOf(fn.role!) },
      ]),
    ),
    roles: {
      stateMachine: refOf(workflow.role),
      ecsTask: refOf(worker.taskDefinition.taskRole),
      ecsExecution: refOf(worker.taskDefinition.obtainExecutionRole()),
      sourceUploadedRule: refOf(eventsRole),
    },
    resources: {
      mediaBucket: refOf(stateful.mediaBucket),
      videosTable: refOf(stateful.videosTable),
      stateMachine: refOf(workflow.stateMachine),
      cluster: refOf(worker.cluster),
      taskDefinition: refOf(worker.taskDefinition),
      eventBus: refOf(eventBus),
      ...(cursorSecret === undefined ? {} : { cursorSecret: refOf(cursorSecret) }),
    },
  };
}

/** An L2 construct's CloudFormation resource, by stack and logical id. */
function refOf(construct: IConstruct): LogicalRef {
  const resource = (construct.node.defaultChild ?? construct) as CfnElement;
  const stack = Stack.of(resource);
  return { stackName: stack.stackName, logicalId: stack.getLogicalId(resource) };
}

function groupOf(name: string): 'api' | 'pipeline' | 'maintenance' {
  if (Object.hasOwn(API_FUNCTIONS, name)) return 'api';
  if (Object.hasOwn(PIPELINE_FUNCTIONS, name)) return 'pipeline';
  if (Object.hasOwn(MAINTENANCE_FUNCTIONS, name)) return 'maintenance';
  throw new Error(`Function ${name} is in no registry of infra/aws/function-specs.ts`);
}
