import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from '../../shared/repository.ts';
import { LOCAL_BUCKET, LOCAL_CLUSTER_ARN, LOCAL_TABLE, localFunctionName, localRoleName } from '../local-resources.ts';
import { CloudFormationResolver, type ResourceRef } from './cloudformation-resolver.ts';
import { DEFAULT_LOCAL_ACCOUNT, type LocalAccount } from './local-arns.ts';
import { policySourceHash } from './source-hash.ts';
import type { IamSources, LogicalRef, SynthesisOptions } from './synthesize-app.ts';

/**
 * The IAM of the CDK app as the local cloud enforces it: every role of the synthesized templates with its
 * identity policies, every ARN in them resolved to the local account's, and which role each principal of
 * the pipeline runs under.
 *
 * Synthesis takes seconds, so its result is cached under .build/ keyed by a hash of everything that shapes
 * the policies (source-hash.ts); a warm start reads the cache and never loads aws-cdk-lib. Names are applied
 * on load, so the cache holds the templates as synthesized and any naming can be resolved from it.
 */
export interface PolicyDocument {
  Version?: string;
  Statement: Record<string, unknown>[] | Record<string, unknown>;
}

export interface LocalRole {
  name: string;
  arn: string;
  stackName: string;
  logicalId: string;
  /** Inline policies (AWS::IAM::Policy attached through `Roles`, the role's `Policies`) and customer managed ones. */
  policies: { name: string; document: PolicyDocument }[];
  /** AWS managed policies (`arn:aws:iam::aws:policy/…`): see AWS_MANAGED_POLICIES in authorizer.ts. */
  awsManagedPolicyArns: string[];
}

export interface LocalFunction {
  /** functions/{group}/{name}.ts */
  module: string;
  name: string;
  arn: string;
  roleName: string;
}

export interface NamedResource {
  name: string;
  arn: string;
}

export interface LocalIamModel {
  account: LocalAccount;
  sourceHash: string;
  roles: Record<string, LocalRole>;
  /** Which role each caller uses, by role name (a key of `roles`). */
  principals: {
    /** Each Lambda function by its spec name (infra/aws/function-specs.ts), the same name as its file. */
    functions: Record<string, LocalFunction>;
    /** Every ASL Task runs under it. */
    stateMachine: string;
    /** The FFmpeg worker's calls. */
    ecsTask: string;
    /** What ECS itself does for the task (image pull, logs): nothing the local cloud serves. */
    ecsExecution: string;
    /** The scheduled cleanup (functions/maintenance/cleanup.ts), when the app has it. */
    cleanup?: string;
    /** The EventBridge rule that starts an execution when a source lands. */
    sourceUploadedRule: string;
  };
  /** The names the local cloud must give its stand-ins for the policies to mean what they mean on AWS. */
  resources: {
    mediaBucket: NamedResource;
    videosTable: NamedResource;
    stateMachine: NamedResource;
    cluster: NamedResource;
    taskDefinition: NamedResource & { family: string; taskRoleArn: string; executionRoleArn: string; tags: { key: string; value: string }[] };
    eventBus: NamedResource;
    cursorSecret?: NamedResource;
  };
}

/**
 * Local names for what the templates leave unnamed (CloudFormation would generate a name). A name the CDK app
 * sets itself (the state machine, the task family, the event bus) cannot be changed: the policies spell it.
 */
export interface LocalNames {
  mediaBucket?: string;
  videosTable?: string;
  cluster?: string;
  /** By function spec name. */
  functionName?: (specName: string) => string;
  /** By the part the role plays: a function spec name, or stateMachine / ecsTask / ecsExecution / sourceUploadedRule. */
  roleName?: (part: string) => string;
}

/** The names the local cloud already uses (infra/local/local-resources.ts). */
export const DEFAULT_LOCAL_NAMES: Required<LocalNames> = {
  mediaBucket: LOCAL_BUCKET,
  videosTable: LOCAL_TABLE,
  cluster: LOCAL_CLUSTER_ARN.slice(LOCAL_CLUSTER_ARN.lastIndexOf('/') + 1),
  functionName: localFunctionName,
  roleName: localRoleName,
};

export class LocalNameConflictError extends Error {
  override readonly name = 'LocalNameConflictError';
}

export interface ResolveOptions {
  account?: LocalAccount;
  names?: LocalNames;
}

/** The model from synthesized sources (cached or fresh): pure, a few milliseconds. */
export function resolveLocalIamModel(sources: IamSources, sourceHash: string, options: ResolveOptions = {}): LocalIamModel {
  const account = options.account ?? DEFAULT_LOCAL_ACCOUNT;
  const names = { ...DEFAULT_LOCAL_NAMES, ...options.names };
  const wanted = new Map<string, string>();
  const want = (ref: LogicalRef | undefined, name: string | undefined) => {
    if (ref !== undefined && name !== undefined) wanted.set(`${ref.stackName}/${ref.logicalId}`, name);
  };
  want(sources.resources.mediaBucket, names.mediaBucket);
  want(sources.resources.videosTable, names.videosTable);
  want(sources.resources.cluster, names.cluster);
  for (const [specName, fn] of Object.entries(sources.functions)) {
    want(fn.function, names.functionName(specName));
    want(fn.role, names.roleName(specName));
  }
  for (const [part, ref] of Object.entries(sources.roles)) want(ref, names.roleName(part));

  const resolver = new CloudFormationResolver(sources.templates, {
    account,
    nameFor: (resource: ResourceRef) => wanted.get(`${resource.stackName}/${resource.logicalId}`),
  });
  const explicitOverrides = Object.entries(options.names ?? {})
    .filter(([key]) => key === 'mediaBucket' || key === 'videosTable' || key === 'cluster')
    .map(([key]) => [key, sources.resources[key as 'mediaBucket' | 'videosTable' | 'cluster']] as const)
    .filter(([, ref]) => resolver.isNamedByTemplate(ref.stackName, ref.logicalId));
  if (explicitOverrides.length > 0) {
    const [key, ref] = explicitOverrides[0]!;
    throw new LocalNameConflictError(
      `The CDK app names the ${key} ${resolver.physicalName(ref.stackName, ref.logicalId)} itself and its policies spell that name: use it locally.`,
    );
  }

  const roles = rolesOf(sources, resolver);
  const roleName = (ref: LogicalRef) => resolver.physicalName(ref.stackName, ref.logicalId);
  const named = (ref: LogicalRef): NamedResource => ({
    name: resolver.physicalName(ref.stackName, ref.logicalId),
    arn: resolver.getAtt(ref.stackName, ref.logicalId, 'Arn'),
  });
  const { taskDefinition } = sources.resources;
  const taskDefinitionProperties = resolver.resolve(
    taskDefinition.stackName,
    resolver.resource(taskDefinition.stackName, taskDefinition.logicalId).Properties ?? {},
  ) as { Family: string; TaskRoleArn: string; ExecutionRoleArn: string; Tags?: { Key: string; Value: string }[] };

  return {
    account,
    sourceHash,
    roles,
    principals: {
      functions: Object.fromEntries(
        Object.entries(sources.functions).map(([specName, fn]) => [
          specName,
          { module: fn.module, ...named(fn.function), roleName: roleName(fn.role) },
        ]),
      ),
      stateMachine: roleName(sources.roles.stateMachine),
      ecsTask: roleName(sources.roles.ecsTask),
      ecsExecution: roleName(sources.roles.ecsExecution),
      ...(sources.functions.cleanup === undefined ? {} : { cleanup: roleName(sources.functions.cleanup.role) }),
      sourceUploadedRule: roleName(sources.roles.sourceUploadedRule),
    },
    resources: {
      mediaBucket: named(sources.resources.mediaBucket),
      videosTable: named(sources.resources.videosTable),
      stateMachine: named(sources.resources.stateMachine),
      cluster: named(sources.resources.cluster),
      taskDefinition: {
        name: taskDefinitionProperties.Family,
        family: taskDefinitionProperties.Family,
        arn: resolver.ref(taskDefinition.stackName, taskDefinition.logicalId),
        taskRoleArn: taskDefinitionProperties.TaskRoleArn,
        executionRoleArn: taskDefinitionProperties.ExecutionRoleArn,
        tags: (taskDefinitionProperties.Tags ?? []).map(({ Key, Value }) => ({ key: Key, value: Value })),
      },
      eventBus: named(sources.resources.eventBus),
      ...(sources.resources.cursorSecret === undefined ? {} : { cursorSecret: named(sources.resources.cursorSecret) }),
    },
  };
}

function rolesOf(sources: IamSources, resolver: CloudFormationResolver): Record<string, LocalRole> {
  const roles: Record<string, LocalRole> = {};
  const managedPolicies = new Map<string, { name: string; document: PolicyDocument }>();
  const attached: { roles: string[]; policy: { name: string; document: PolicyDocument } }[] = [];
  for (const [stackName, template] of Object.entries(sources.templates)) {
    for (const [logicalId, { Type, Properties = {} }] of Object.entries(template.Resources)) {
      if (Type === 'AWS::IAM::Role') {
        const properties = resolver.resolve(stackName, Properties) as {
          Policies?: { PolicyName: string; PolicyDocument: PolicyDocument }[];
          ManagedPolicyArns?: string[];
        };
        const name = resolver.physicalName(stackName, logicalId);
        roles[name] = {
          name,
          arn: resolver.getAtt(stackName, logicalId, 'Arn'),
          stackName,
          logicalId,
          policies: (properties.Policies ?? []).map((policy) => ({ name: policy.PolicyName, document: policy.PolicyDocument })),
          awsManagedPolicyArns: properties.ManagedPolicyArns ?? [],
        };
      } else if (Type === 'AWS::IAM::Policy' || Type === 'AWS::IAM::ManagedPolicy') {
        const properties = resolver.resolve(stackName, Properties) as { PolicyDocument: PolicyDocument; Roles?: string[] };
        const policy = { name: resolver.physicalName(stackName, logicalId), document: properties.PolicyDocument };
        attached.push({ roles: properties.Roles ?? [], policy });
        if (Type === 'AWS::IAM::ManagedPolicy') managedPolicies.set(resolver.ref(stackName, logicalId), policy);
      }
    }
  }
  for (const { roles: roleNames, policy } of attached) {
    for (const roleName of roleNames) roles[roleName]?.policies.push(policy);
  }
  // A customer managed policy of the templates, attached through the role's ManagedPolicyArns.
  for (const role of Object.values(roles)) {
    const customer = role.awsManagedPolicyArns.filter((arn) => managedPolicies.has(arn));
    for (const arn of customer) {
      if (!role.policies.includes(managedPolicies.get(arn)!)) role.policies.push(managedPolicies.get(arn)!);
    }
    role.awsManagedPolicyArns = role.awsManagedPolicyArns.filter((arn) => !managedPolicies.has(arn));
  }
  return roles;
}

// ---- loading, with the cache ------------------------------------------------------------------------

export interface LoadOptions extends ResolveOptions {
  /** Where the cache file lives; default .build/ of the repository. */
  cacheDir?: string;
  root?: string;
}

export interface LoadedIam {
  model: LocalIamModel;
  cache: 'hit' | 'miss';
  timingsMs: { hash: number; synthesize?: number; total: number };
}

const CACHE_FORMAT = 1;
const CACHE_FILE = 'iam-policies.json';

interface CacheFile {
  format: number;
  sourceHash: string;
  sources: IamSources;
}

/** The local IAM model, from the cache when the sources that shape it are unchanged, else synthesized and cached. */
export async function loadLocalIamModel(options: LoadOptions = {}): Promise<LoadedIam> {
  const started = performance.now();
  const root = options.root ?? REPO_ROOT;
  const cacheDir = options.cacheDir ?? join(root, '.build');
  const { hash } = await policySourceHash(root);
  const hashed = performance.now();
  const cached = readCache(join(cacheDir, CACHE_FILE), hash);
  if (cached !== undefined) {
    const model = resolveLocalIamModel(cached, hash, options);
    return { model, cache: 'hit', timingsMs: { hash: hashed - started, total: performance.now() - started } };
  }
  const { synthesizeIamSources } = await import('./synthesize-app.ts');
  const sources = synthesizeIamSources();
  const synthesized = performance.now();
  writeCache(cacheDir, { format: CACHE_FORMAT, sourceHash: hash, sources });
  const model = resolveLocalIamModel(sources, hash, options);
  return {
    model,
    cache: 'miss',
    timingsMs: { hash: hashed - started, synthesize: synthesized - hashed, total: performance.now() - started },
  };
}

/** A model of a customized app (a test taking a grant away): synthesized every time, never cached. */
export async function synthesizeLocalIamModel(options: SynthesisOptions & ResolveOptions = {}): Promise<LocalIamModel> {
  const { synthesizeIamSources } = await import('./synthesize-app.ts');
  return resolveLocalIamModel(synthesizeIamSources(options), 'uncached', options);
}

function readCache(file: string, hash: string): IamSources | undefined {
  try {
    const cache = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
    return cache.format === CACHE_FORMAT && cache.sourceHash === hash ? cache.sources : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(cacheDir: string, cache: CacheFile): void {
  mkdirSync(cacheDir, { recursive: true });
  // Written aside and renamed: another process starting at the same moment reads a whole file or none.
  const temporary = join(cacheDir, `${CACHE_FILE}.${process.pid}.tmp`);
  writeFileSync(temporary, JSON.stringify(cache));
  renameSync(temporary, join(cacheDir, CACHE_FILE));
}
