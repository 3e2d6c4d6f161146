import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { AccessDeniedError, type AccessDenial } from './access-denied.ts';
import { localArns, type LocalAccount } from './local-arns.ts';
import type { LocalIamModel, PolicyDocument } from './synthesized-policies.ts';

/**
 * Decides a call the way IAM decides it for a role session in the same account: the role's identity
 * policies (no resource policies, SCPs or boundaries: vidp's templates have none that a local call meets)
 * evaluated by @cloud-copilot/iam-simulate on the real action, resource ARN and the condition keys the call
 * carries. What a call implies beyond its own action (PassRole for RunTask, ListBucket for a missing key…)
 * is in required-actions.ts; this file decides one request at a time.
 */
export interface AuthorizationRequest {
  /** `service:Action`, as in a policy: `dynamodb:UpdateItem`. */
  action: string;
  /** The resource ARN, or `*` for an action that has no resource (as the Service Authorization Reference lists it). */
  resource: string;
  /** Condition keys the call carries: `ecs:cluster`, `s3:prefix`, `iam:PassedToService`, … */
  context?: Record<string, string | string[]>;
}

export interface Caller {
  /** A role of the model (`model.principals` says which). */
  roleName: string;
  /** The session name of the assumed-role ARN (a Lambda function's name, an execution's id, a task's id). */
  sessionName?: string;
}

export type AuthorizationResult = { allowed: true } | { allowed: false; denial: AccessDenial };

/**
 * Actions the Service Authorization Reference lists without a resource type ("must use *"), yet AWS
 * authorizes against a specific ARN. Step Functions checks SendTaskSuccess/Failure/Heartbeat against the
 * state machine the task token belongs to: denials name that ARN ("…is not authorized to perform:
 * states:SendTaskFailure on resource: arn:aws:states:…:stateMachine:…", NOAA-OWP/hydrovis#837), and a grant
 * scoped to the state machine works (aws/aws-cdk#8486, the tests behind CDK's grantTaskResponse, which scopes
 * to the state machine to this day). iam-simulate follows the reference and refuses such a request, so these
 * are evaluated without its input validation.
 */
const AUTHORIZED_ON_RESOURCE_DESPITE_REFERENCE = new Set(['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat']);

/**
 * AWS managed policies the templates attach, by what they allow. vidp's roles attach none that matter
 * locally: the CDK custom resource's AWSLambdaBasicExecutionRole and API Gateway's logging role only write
 * CloudWatch Logs, which the local cloud does not serve. A role with any other managed policy is refused
 * (IamModelError) the first time it calls, rather than evaluated as if the policy granted nothing.
 */
export const AWS_MANAGED_POLICIES: Readonly<Record<string, PolicyDocument>> = {
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  },
  'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:DescribeLogGroups',
          'logs:DescribeLogStreams',
          'logs:PutLogEvents',
          'logs:GetLogEvents',
          'logs:FilterLogEvents',
        ],
        Resource: '*',
      },
    ],
  },
};

/** The request cannot be evaluated (unknown action, an ARN of the wrong type): a bug of the caller, not a denial. */
export class IamModelError extends Error {
  override readonly name = 'IamModelError';
}

const MAX_REMEMBERED_DECISIONS = 10_000;

export class IamAuthorizer {
  readonly #model: Pick<LocalIamModel, 'account' | 'roles'>;
  readonly #decisions = new Map<string, Promise<AuthorizationResult>>();

  constructor(model: Pick<LocalIamModel, 'account' | 'roles'>) {
    this.#model = model;
  }

  get account(): LocalAccount {
    return this.#model.account;
  }

  /** One request. Decisions are remembered: the pipeline makes the same few calls over and over. */
  authorize(caller: Caller, request: AuthorizationRequest): Promise<AuthorizationResult> {
    const key = JSON.stringify([caller.roleName, caller.sessionName, request.action, request.resource, sortedContext(request.context)]);
    let decision = this.#decisions.get(key);
    if (decision === undefined) {
      if (this.#decisions.size >= MAX_REMEMBERED_DECISIONS) this.#decisions.clear();
      decision = this.#evaluate(caller, request);
      this.#decisions.set(key, decision);
      decision.catch(() => this.#decisions.delete(key));
    }
    return decision;
  }

  /** Every request of one call, in order; the first denial decides, as AWS reports one action per refusal. */
  async authorizeAll(caller: Caller, requests: readonly AuthorizationRequest[]): Promise<AuthorizationResult> {
    for (const request of requests) {
      const result = await this.authorize(caller, request);
      if (!result.allowed) return result;
    }
    return { allowed: true };
  }

  /** Throws AccessDeniedError for the first request the caller may not make. */
  async assertAllowed(caller: Caller, requests: readonly AuthorizationRequest[]): Promise<void> {
    const result = await this.authorizeAll(caller, requests);
    if (!result.allowed) throw new AccessDeniedError(result.denial);
  }

  async #evaluate(caller: Caller, request: AuthorizationRequest): Promise<AuthorizationResult> {
    const role = this.#model.roles[caller.roleName];
    if (role === undefined) throw new IamModelError(`No role ${caller.roleName} in the synthesized templates`);
    const principalArn = localArns(this.#model.account).assumedRole(role.name, caller.sessionName ?? role.name);
    const simulation: Simulation = {
      request: {
        principal: principalArn,
        action: request.action,
        resource: { resource: request.resource, accountId: this.#model.account.accountId },
        contextVariables: { ...request.context },
      },
      identityPolicies: [
        ...role.policies.map(({ name, document }) => ({ name, policy: document })),
        ...role.awsManagedPolicyArns.map((arn) => ({ name: arn, policy: awsManagedPolicy(arn, role.name) })),
      ],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    };

    let result: string;
    if (AUTHORIZED_ON_RESOURCE_DESPITE_REFERENCE.has(request.action) && request.resource !== '*') {
      result = runUnsafeSimulation(simulation, {});
    } else {
      const response = await runSimulation(simulation, {});
      if (response.resultType === 'error') {
        throw new IamModelError(
          `iam-simulate cannot evaluate ${request.action} on ${request.resource}: ${response.errors.message} ${JSON.stringify(response.errors)}`,
        );
      }
      result = response.overallResult;
    }
    if (result === 'Allowed') return { allowed: true };
    const explicit = result === 'ExplicitlyDenied';
    return {
      allowed: false,
      denial: {
        action: request.action,
        resource: request.resource,
        roleName: role.name,
        principalArn,
        reason: explicit ? 'explicit-deny' : 'no-allow',
      },
    };
  }
}

function awsManagedPolicy(arn: string, roleName: string): PolicyDocument {
  const document = AWS_MANAGED_POLICIES[arn];
  if (document === undefined) {
    throw new IamModelError(
      `Role ${roleName} has the AWS managed policy ${arn}, which infra/local/iam/authorizer.ts does not model: add its document there.`,
    );
  }
  return document;
}

function sortedContext(context: AuthorizationRequest['context']): [string, string | string[]][] {
  return Object.entries(context ?? {}).sort(([a], [b]) => a.localeCompare(b));
}
