import { localArns, type LocalAccount } from './local-arns.ts';

/**
 * CloudFormation's intrinsic functions evaluated the way a deployment would, for the local cloud: every
 * `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`, cross-stack `Fn::ImportValue` and
 * pseudo parameter becomes the value it takes in the local account. Resources keep the name the template
 * gives them (`BucketName`, `StateMachineName`, `Family`, …), as on AWS; a resource the template leaves
 * unnamed gets the name the caller picks, or `{stack}-{logical id}` (CloudFormation's own pattern, minus its
 * random suffix).
 *
 * Only what the local cloud meets is modelled: an intrinsic, attribute or resource type outside that fails
 * with UnresolvableError naming it, rather than leaving a policy with a value AWS would never produce.
 */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
  Parameters?: Record<string, { Default?: unknown }>;
}

export type StackTemplates = Readonly<Record<string, CfnTemplate>>;

export interface ResourceRef {
  stackName: string;
  logicalId: string;
  type: string;
}

export interface ResolverOptions {
  account: LocalAccount;
  /** The physical name of a resource the template does not name; `undefined` keeps the default. */
  nameFor?: (resource: ResourceRef) => string | undefined;
}

export class UnresolvableError extends Error {
  override readonly name = 'UnresolvableError';
}

/** Per resource type: the property that names it, what `Ref` returns, and the attributes `Fn::GetAtt` knows. */
interface TypeRules {
  nameProperty: string;
  ref: 'name' | 'arn' | ((name: string) => string);
  arn?: (name: string, properties: Record<string, unknown>) => string;
  attributes?: Record<string, (name: string) => string>;
  /** Generated names are lower-case (S3 bucket names must be). */
  lowerCase?: boolean;
  maxLength?: number;
}

/** Task definitions are registered once locally: every family is at revision 1. */
export const LOCAL_TASK_DEFINITION_REVISION = 1;

function typeRules(account: LocalAccount): Record<string, TypeRules> {
  const arns = localArns(account);
  const { region, accountId, partition } = account;
  return {
    'AWS::S3::Bucket': { nameProperty: 'BucketName', ref: 'name', arn: arns.s3Bucket, lowerCase: true, maxLength: 63 },
    'AWS::DynamoDB::Table': { nameProperty: 'TableName', ref: 'name', arn: arns.dynamoDbTable },
    'AWS::IAM::Role': {
      nameProperty: 'RoleName',
      ref: 'name',
      arn: (name, properties) => arns.iamRole(name, typeof properties.Path === 'string' ? properties.Path : '/'),
      maxLength: 64,
    },
    'AWS::IAM::ManagedPolicy': {
      nameProperty: 'ManagedPolicyName',
      ref: 'arn',
      arn: (name) => `arn:${partition}:iam::${accountId}:policy/${name}`,
      attributes: { PolicyArn: (name) => `arn:${partition}:iam::${accountId}:policy/${name}` },
    },
    'AWS::IAM::Policy': { nameProperty: 'PolicyName', ref: 'name' },
    'AWS::Lambda::Function': { nameProperty: 'FunctionName', ref: 'name', arn: (name) => arns.lambdaFunction(name), maxLength: 64 },
    'AWS::ECS::Cluster': { nameProperty: 'ClusterName', ref: 'name', arn: arns.ecsCluster },
    'AWS::ECS::TaskDefinition': {
      nameProperty: 'Family',
      ref: 'arn',
      arn: (family) => arns.ecsTaskDefinition(`${family}:${LOCAL_TASK_DEFINITION_REVISION}`),
      attributes: { TaskDefinitionArn: (family) => arns.ecsTaskDefinition(`${family}:${LOCAL_TASK_DEFINITION_REVISION}`) },
    },
    'AWS::StepFunctions::StateMachine': {
      nameProperty: 'StateMachineName',
      ref: 'arn',
      arn: arns.stateMachine,
      attributes: { Name: (name) => name },
    },
    'AWS::Events::EventBus': { nameProperty: 'Name', ref: 'name', arn: arns.eventBus, attributes: { Name: (name) => name } },
    'AWS::Events::Rule': { nameProperty: 'Name', ref: 'name', arn: (name) => `arn:${partition}:events:${region}:${accountId}:rule/${name}` },
    'AWS::SecretsManager::Secret': { nameProperty: 'Name', ref: 'arn', arn: arns.secret, attributes: { Id: arns.secret } },
    'AWS::Logs::LogGroup': { nameProperty: 'LogGroupName', ref: 'name', arn: arns.logGroup },
    'AWS::SQS::Queue': {
      nameProperty: 'QueueName',
      ref: (name) => `https://sqs.${region}.amazonaws.com/${accountId}/${name}`,
      arn: arns.sqsQueue,
      attributes: { QueueName: (name) => name, QueueUrl: (name) => `https://sqs.${region}.amazonaws.com/${accountId}/${name}` },
    },
    'AWS::SNS::Topic': { nameProperty: 'TopicName', ref: 'arn', arn: arns.snsTopic, attributes: { TopicName: (name) => name, TopicArn: arns.snsTopic } },
  };
}

/** CDK's logical ids end in an 8-character hash of the construct path; the readable part is the rest. */
export function readableLogicalId(logicalId: string): string {
  return logicalId.replace(/[0-9A-F]{8}$/, '');
}

export class CloudFormationResolver {
  readonly #templates: StackTemplates;
  readonly #options: ResolverOptions;
  readonly #rules: Record<string, TypeRules>;
  readonly #exports = new Map<string, { stackName: string; value: unknown }>();
  readonly #names = new Map<string, string>();

  constructor(templates: StackTemplates, options: ResolverOptions) {
    this.#templates = templates;
    this.#options = options;
    this.#rules = typeRules(options.account);
    for (const [stackName, template] of Object.entries(templates)) {
      for (const output of Object.values(template.Outputs ?? {})) {
        if (output.Export === undefined) continue;
        const exportName = this.resolve(stackName, output.Export.Name);
        if (typeof exportName !== 'string') throw new UnresolvableError(`An export of stack ${stackName} has no string name`);
        this.#exports.set(exportName, { stackName, value: output.Value });
      }
    }
  }

  resource(stackName: string, logicalId: string): CfnResource {
    const resource = this.#templates[stackName]?.Resources[logicalId];
    if (resource === undefined) throw new UnresolvableError(`Stack ${stackName} has no resource ${logicalId}`);
    return resource;
  }

  /** Whether the template itself names the resource (then that name is the one its policies use). */
  isNamedByTemplate(stackName: string, logicalId: string): boolean {
    const { Type, Properties } = this.resource(stackName, logicalId);
    const rules = this.#rules[Type];
    return rules !== undefined && Properties?.[rules.nameProperty] !== undefined;
  }

  physicalName(stackName: string, logicalId: string): string {
    const key = `${stackName}/${logicalId}`;
    const known = this.#names.get(key);
    if (known !== undefined) return known;
    const { Type, Properties = {} } = this.resource(stackName, logicalId);
    const rules = this.#rules[Type];
    const explicit = rules === undefined ? undefined : Properties[rules.nameProperty];
    let name: string;
    if (explicit !== undefined) {
      const resolved = this.resolve(stackName, explicit);
      if (typeof resolved !== 'string') throw new UnresolvableError(`${key}: ${rules!.nameProperty} is not a string`);
      name = resolved;
    } else {
      name = this.#options.nameFor?.({ stackName, logicalId, type: Type }) ?? this.#generatedName(stackName, logicalId, rules);
    }
    this.#names.set(key, name);
    return name;
  }

  ref(stackName: string, logicalId: string): string {
    const { Type } = this.resource(stackName, logicalId);
    const rules = this.#rules[Type];
    const name = this.physicalName(stackName, logicalId);
    if (rules === undefined || rules.ref === 'name') return name;
    if (rules.ref === 'arn') return this.getAtt(stackName, logicalId, 'Arn');
    return rules.ref(name);
  }

  getAtt(stackName: string, logicalId: string, attribute: string): string {
    const { Type, Properties = {} } = this.resource(stackName, logicalId);
    const rules = this.#rules[Type];
    const name = this.physicalName(stackName, logicalId);
    const attributeRule = rules?.attributes?.[attribute];
    if (attributeRule !== undefined) return attributeRule(name);
    if (attribute === 'Arn' && rules?.arn !== undefined) return rules.arn(name, Properties);
    throw new UnresolvableError(`Fn::GetAtt ${logicalId}.${attribute} (${Type}) is not modelled locally`);
  }

  /** A value of the template with every intrinsic evaluated; `AWS::NoValue` drops the entry it stands in. */
  resolve(stackName: string, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(stackName, item)).filter((item) => item !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const [first] = entries;
    if (entries.length === 1 && first !== undefined && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
      return this.#intrinsic(stackName, first[0], first[1]);
    }
    return Object.fromEntries(
      entries.map(([key, item]) => [key, this.resolve(stackName, item)] as const).filter(([, item]) => item !== NO_VALUE),
    );
  }

  #intrinsic(stackName: string, name: string, argument: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.#refOf(stackName, this.#string(stackName, argument, 'Ref'));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = typeof argument === 'string' ? argument.split(/\.(.*)/s) : (argument as unknown[]);
        return this.getAtt(stackName, String(logicalId), this.#string(stackName, attribute, 'Fn::GetAtt attribute'));
      }
      case 'Fn::Join': {
        const [delimiter, parts] = argument as [string, unknown];
        return this.#list(stackName, parts, 'Fn::Join').join(delimiter);
      }
      case 'Fn::Select': {
        const [index, list] = argument as [unknown, unknown];
        const items = this.#list(stackName, list, 'Fn::Select');
        const position = Number(this.resolve(stackName, index));
        if (!Number.isInteger(position) || position < 0 || position >= items.length) {
          throw new UnresolvableError(`Fn::Select index ${position} is outside a list of ${items.length}`);
        }
        return items[position];
      }
      case 'Fn::Split': {
        const [delimiter, source] = argument as [string, unknown];
        return this.#string(stackName, source, 'Fn::Split').split(delimiter);
      }
      case 'Fn::Sub':
        return this.#sub(stackName, argument);
      case 'Fn::ImportValue': {
        const exportName = this.#string(stackName, argument, 'Fn::ImportValue');
        const exported = this.#exports.get(exportName);
        if (exported === undefined) throw new UnresolvableError(`No stack exports ${exportName}`);
        return this.resolve(exported.stackName, exported.value);
      }
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((zone) => `${this.#options.account.region}${zone}`);
      default:
        throw new UnresolvableError(`${name} is not modelled locally`);
    }
  }

  #refOf(stackName: string, target: string): unknown {
    const { account } = this.#options;
    switch (target) {
      case 'AWS::Partition':
        return account.partition;
      case 'AWS::Region':
        return account.region;
      case 'AWS::AccountId':
        return account.accountId;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stackName;
      case 'AWS::StackId':
        return `arn:${account.partition}:cloudformation:${account.region}:${account.accountId}:stack/${stackName}/local`;
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    const parameter = this.#templates[stackName]?.Parameters?.[target];
    if (parameter !== undefined) return this.resolve(stackName, parameter.Default);
    return this.ref(stackName, target);
  }

  #sub(stackName: string, argument: unknown): string {
    const [template, variables = {}] = typeof argument === 'string' ? [argument] : (argument as [string, Record<string, unknown>]);
    return template.replace(/\$\{(!?)([^}]+)\}/g, (_match, literal: string, reference: string) => {
      if (literal === '!') return `\${${reference}}`;
      if (Object.hasOwn(variables, reference)) return this.#string(stackName, variables[reference], `Fn::Sub variable ${reference}`);
      const [logicalId, attribute] = reference.split(/\.(.*)/s);
      if (attribute !== undefined && !logicalId!.startsWith('AWS::')) return this.getAtt(stackName, logicalId!, attribute);
      return String(this.#refOf(stackName, reference));
    });
  }

  #string(stackName: string, value: unknown, where: string): string {
    const resolved = this.resolve(stackName, value);
    if (typeof resolved !== 'string' && typeof resolved !== 'number') {
      throw new UnresolvableError(`${where} needs a string, got ${JSON.stringify(resolved)}`);
    }
    return String(resolved);
  }

  #list(stackName: string, value: unknown, where: string): string[] {
    const resolved = this.resolve(stackName, value);
    if (!Array.isArray(resolved)) throw new UnresolvableError(`${where} needs a list, got ${JSON.stringify(resolved)}`);
    return resolved.map((item) => String(item));
  }

  #generatedName(stackName: string, logicalId: string, rules: TypeRules | undefined): string {
    const name = `${stackName}-${readableLogicalId(logicalId)}`.slice(0, rules?.maxLength ?? 64);
    return rules?.lowerCase ? name.toLowerCase() : name;
  }
}

const NO_VALUE = Symbol('AWS::NoValue');
