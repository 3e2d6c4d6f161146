import type { AccessDenial } from './access-denied.ts';
import { IamAuthorizer, type AuthorizationRequest, type AuthorizationResult } from './authorizer.ts';
import { LocalCredentialRegistry, type AwsCredentials, type CredentialRefusal, type LocalPrincipal } from './credentials.ts';
import { unrecognizedClient, verifyJsonRequestSignature } from './json-request-signature.ts';
import { localArns, type LocalAccount } from './local-arns.ts';
import { missingObjectOutcome } from './required-actions.ts';
import type { LocalIamModel } from './synthesized-policies.ts';
import type { SignedRequest } from '../sigv4.ts';

/**
 * IAM as the local cloud enforces it, in one place for every service it serves: who holds which
 * credentials (credentials.ts), and whether a principal may make a call (the synthesized policies,
 * authorizer.ts). Roles are evaluated against their policies; the local administrator is let through.
 */
export class LocalAccess {
  readonly model: LocalIamModel;
  readonly credentials: LocalCredentialRegistry;
  readonly #authorizer: IamAuthorizer;

  constructor(model: LocalIamModel, credentials: LocalCredentialRegistry = new LocalCredentialRegistry()) {
    this.model = model;
    this.credentials = credentials;
    this.#authorizer = new IamAuthorizer(model);
  }

  get account(): LocalAccount {
    return this.model.account;
  }

  get arns() {
    return localArns(this.model.account);
  }

  /** What Lambda gives the function of a spec (infra/aws/function-specs.ts): its role, as a session named after it. */
  functionCredentials(specName: string): AwsCredentials {
    const fn = this.model.principals.functions[specName];
    if (fn === undefined) throw new Error(`The CDK app has no function ${specName}`);
    return this.credentials.issue(fn.roleName, fn.name);
  }

  /** A session of the role a part of the pipeline plays, as the service that assumes it would start one. */
  roleCredentials(part: RolePart, sessionName: string): AwsCredentials {
    return this.credentials.issue(this.roleNameOf(part), sessionName);
  }

  principalOf(part: RolePart, sessionName: string): LocalPrincipal {
    return { kind: 'role', roleName: this.roleNameOf(part), sessionName };
  }

  /** Every request of one call, in order: the first refused one decides, as AWS names one action per refusal. */
  authorize(principal: LocalPrincipal, requests: readonly AuthorizationRequest[]): Promise<AuthorizationResult> {
    if (principal.kind === 'admin') return Promise.resolve({ allowed: true });
    return this.#authorizer.authorizeAll(callerOf(principal), requests);
  }

  /** GetObject / HeadObject of a missing key: 404 for a principal that may list the bucket, else 403. */
  missingObject(principal: LocalPrincipal, bucket: string): Promise<{ status: 404 } | { status: 403; denial: AccessDenial }> {
    if (principal.kind === 'admin') return Promise.resolve({ status: 404 });
    return missingObjectOutcome(this.#authorizer, callerOf(principal), bucket);
  }

  /** Who signed with this key (the signature already verified), given the session token that came with it. */
  identify(caller: { accessKeyId: string; sessionToken?: string | undefined }): LocalPrincipal | CredentialRefusal {
    return this.credentials.identify(caller.accessKeyId, caller.sessionToken);
  }

  /**
   * A request to a JSON-protocol endpoint (DynamoDB, Step Functions, ECS), authenticated: its signature
   * verified for `service` and its credentials identified. Throws the AwsJsonError the service would answer.
   */
  async authenticateJson(request: SignedRequest, body: Buffer, service: string): Promise<LocalPrincipal> {
    const verified = await verifyJsonRequestSignature(request, body, {
      service,
      region: this.model.account.region,
      lookupSecret: this.credentials.lookupSecret,
    });
    const principal = this.identify(verified);
    if (typeof principal === 'string') throw unrecognizedClient();
    return principal;
  }

  private roleNameOf(part: RolePart): string {
    return this.model.principals[part];
  }
}

export type RolePart = 'stateMachine' | 'ecsTask' | 'sourceUploadedRule';

function callerOf(principal: Extract<LocalPrincipal, { kind: 'role' }>) {
  return { roleName: principal.roleName, sessionName: principal.sessionName };
}

/** What the JSON-protocol endpoints need of LocalAccess (their unit tests give a fake). */
export type JsonEndpointAccess = Pick<LocalAccess, 'authenticateJson' | 'authorize' | 'account'>;

/** The names and ARNs the local cloud gives its stand-ins (infra/local/local-resources.ts). */
export interface LocalResourceNames {
  bucket: string;
  table: string;
  stateMachineArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  eventBusName: string;
  /** The functions the ASL invokes, by ARN. */
  functionArns: readonly string[];
}

export class LocalNamesMismatchError extends Error {
  override readonly name = 'LocalNamesMismatchError';
}

/**
 * A policy grants on names (`stateMachine:vidp-dev-pipeline`, `task-definition/vidp-dev-transcode:*`): the
 * local resources must carry the names the synthesized policies spell, or a real grant would refuse a real
 * local call (or, worse, a local call be allowed by a grant meant for something else). Fails the start,
 * naming each difference.
 */
export function assertPoliciesNameLocalResources(model: LocalIamModel, local: LocalResourceNames): void {
  const { resources } = model;
  const functionArns = new Set(Object.values(model.principals.functions).map((fn) => fn.arn));
  const differences = [
    ['the media bucket', resources.mediaBucket.name, local.bucket],
    ['the videos table', resources.videosTable.name, local.table],
    ['the state machine', resources.stateMachine.arn, local.stateMachineArn],
    ['the cluster', resources.cluster.arn, local.clusterArn],
    ['the task definition', resources.taskDefinition.arn, local.taskDefinitionArn],
    ['the event bus', resources.eventBus.name, local.eventBusName],
    ...local.functionArns.filter((arn) => !functionArns.has(arn)).map((arn) => ['a function the ASL invokes', '(none)', arn]),
  ].filter(([, policies, localName]) => policies !== localName);
  if (differences.length > 0) {
    throw new LocalNamesMismatchError(
      `The local resources are not named as the CDK app's policies name them (infra/local/local-resources.ts):\n  ` +
        differences.map(([what, policies, localName]) => `${what}: policies say ${policies}, the local cloud has ${localName}`).join('\n  '),
    );
  }
}
