import { Lazy, type IResolveContext } from 'aws-cdk-lib';
import { CfnPolicy, Policy, type IRole } from 'aws-cdk-lib/aws-iam';

/**
 * Takes one action away from what a role's policy allows, as if the CDK app had never granted it: for the
 * tests that show the local cloud refusing the call that needed it. Works on the role's default policy, where
 * `addToPrincipalPolicy` (every grant of vidp's app) puts statements; a statement left without actions goes.
 *
 * The policy document stays the CDK's own object and is filtered only as it is rendered, after CDK has merged
 * statements and turned cross-stack references into imports: what remains is exactly what the app would
 * deploy without that one action.
 */
export function removeGrant(role: IRole, action: string): void {
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (!(policy instanceof Policy)) throw new Error(`${role.node.path} has no default policy to remove ${action} from`);
  const resource = policy.node.defaultChild as CfnPolicy;
  const document: unknown = resource.policyDocument;
  resource.policyDocument = Lazy.uncachedAny({
    produce: (context: IResolveContext) => withoutAction(context.resolve(document) as RenderedDocument, action),
  });
}

interface RenderedDocument {
  Statement: { Action: string | string[] }[];
}

function withoutAction(document: RenderedDocument, action: string): RenderedDocument {
  const statements = document.Statement.map((statement) => {
    const actions = (Array.isArray(statement.Action) ? statement.Action : [statement.Action]).filter((item) => item !== action);
    return { ...statement, Action: actions.length === 1 ? actions[0]! : actions };
  }).filter((statement) => statement.Action.length > 0);
  if (JSON.stringify(statements) === JSON.stringify(document.Statement)) {
    throw new Error(`The policy grants no ${action} to remove`);
  }
  return { ...document, Statement: statements };
}
